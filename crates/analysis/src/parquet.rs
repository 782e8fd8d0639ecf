//! A run's tables as Parquet (the `analysis` feature), which is how users of polars, pandas
//! and OpenDC read big tables. Each table is written as CSV first and turned into
//! `NAME.parquet` by polars, so the CSV writer stays the one definition of every table; each
//! column's type is inferred from all of its rows, so it reads back as the numbers or text it
//! holds. Every file is written atomically, and the CSV goes only once its Parquet is there.

use std::io;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, PolarsError};
use polars_io::prelude::{CsvReadOptions, ParquetWriter, SerReader};

use crate::input::read_input;
use crate::output::write_atomic;

/// Turns every CSV table among `written` (plain or gzipped) into `NAME.parquet` beside it;
/// returns the files the run now has.
pub fn to_parquet(written: Vec<PathBuf>) -> io::Result<Vec<PathBuf>> {
    written
        .into_iter()
        .map(|path| match parquet_name(&path) {
            Some(parquet) => convert(&path, &parquet).map(|()| parquet),
            None => Ok(path),
        })
        .collect()
}

/// `NAME.parquet` for a table `NAME.csv` or `NAME.csv.gz`.
fn parquet_name(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".csv")
        .or_else(|| name.strip_suffix(".csv.gz"))?;
    Some(path.with_file_name(format!("{stem}.parquet")))
}

fn convert(csv: &Path, parquet: &Path) -> io::Result<()> {
    let failed = |e: PolarsError| io::Error::other(format!("{}: {e}", csv.display()));
    let bytes = read_input(csv).map_err(io::Error::other)?;
    let table: DataFrame = CsvReadOptions::default()
        .with_infer_schema_length(None)
        .into_reader_with_file_handle(io::Cursor::new(bytes))
        .finish()
        .map_err(failed)?;
    write_atomic(parquet, &|w| {
        ParquetWriter::new(w)
            .finish(&mut table.clone())
            .map(drop)
            .map_err(failed)
    })?;
    std::fs::remove_file(csv)
}

#[cfg(test)]
mod tests {
    use polars::prelude::DataType;
    use polars_io::prelude::ParquetReader;

    use super::*;

    #[test]
    fn a_table_reads_back_from_parquet_with_its_columns_typed() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("jobs.csv");
        let text = "name,end_s,starts,outcome\na,41.5,1,finished\nb,,2,failed\n";
        std::fs::write(&csv, text).unwrap();
        let summary = dir.path().join("summary.json");
        std::fs::write(&summary, "{}").unwrap();
        let files = to_parquet(vec![summary.clone(), csv.clone()]).unwrap();
        let parquet = dir.path().join("jobs.parquet");
        assert_eq!(files, [summary, parquet.clone()]);
        assert!(!csv.exists());
        let table = ParquetReader::new(std::fs::File::open(&parquet).unwrap())
            .finish()
            .unwrap();
        assert_eq!(table.shape(), (2, 4));
        let end = table.column("end_s").unwrap();
        assert_eq!(end.dtype(), &DataType::Float64);
        assert_eq!(end.null_count(), 1);
        assert_eq!(table.column("starts").unwrap().dtype(), &DataType::Int64);
        let outcome = table.column("outcome").unwrap().str().unwrap();
        assert_eq!(outcome.get(1), Some("failed"));
    }
}
