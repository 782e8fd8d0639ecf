//! Scenario files: TOML in, a validated [`ScenarioSpec`] out, with errors that name the file,
//! line, column and key path of the offending value.

mod error;
mod inner_key;
mod load;
mod node_list;
mod overrides;
mod range;
mod spec;
mod suggest;
mod sweep;
mod variants;

pub use crate::policy::MonitorSpec;
pub use error::{Origin, ScenarioError};
pub use load::{load, load_str, load_variant, load_variant_str, read_text, Scenario};
pub use overrides::Override;
pub use spec::{ScenarioSpec, SimulationSpec};
pub use sweep::{
    parse_seeds, read_sweep, resolve_variant_axis, seeds, value_text, Axis, SweepSpec, VARIANT_AXIS,
};
pub use variants::variant_names;
