//! Finds where a key path sits in the scenario's text.

use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, Value};

use crate::keypath::{KeyPath, Seg};

/// toml_edit hands out tables, items and values as different types; the walk needs all three.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Table(&'a Table),
    Value(&'a Value),
}

/// The 1-based (line, column) of the deepest part of `path` that exists in the document: the
/// key itself when it exists, otherwise the table that should hold it.
pub fn locate(doc: &ImDocument<&str>, path: &KeyPath) -> Option<(usize, usize)> {
    let mut node = Node::Table(doc.as_table());
    let mut span = None;
    for seg in &path.0 {
        let Some((next, here)) = step(node, seg) else {
            break;
        };
        span = here.or(span);
        node = next;
    }
    Some(line_col(doc.raw(), span?.start))
}

fn step<'a>(node: Node<'a>, seg: &Seg) -> Option<(Node<'a>, Option<Range<usize>>)> {
    let node = match node {
        Node::Item(Item::Table(t)) => Node::Table(t),
        Node::Item(Item::Value(v)) => Node::Value(v),
        other => other,
    };
    match (node, seg) {
        (Node::Table(t), Seg::Key(k)) => {
            let (key, item) = t.get_key_value(k)?;
            Some((Node::Item(item), key.span().or_else(|| item.span())))
        }
        (Node::Value(Value::InlineTable(t)), Seg::Key(k)) => {
            let (key, item) = t.get_key_value(k)?;
            Some((Node::Item(item), key.span().or_else(|| item.span())))
        }
        (Node::Value(Value::Array(a)), Seg::Index(i)) => {
            let value = a.get(*i)?;
            Some((Node::Value(value), value.span()))
        }
        (Node::Item(Item::ArrayOfTables(a)), Seg::Index(i)) => {
            let table = a.get(*i)?;
            Some((Node::Table(table), table.span()))
        }
        _ => None,
    }
}

pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_in_tables_arrays_and_inline_tables() {
        let src = "[simulation]\nseed = 1\n\n[[nodes]]\nname = \"a\"\n\n[[nodes]]\nname = \"b\"\nmemory = \"1GiB\"\nprofile = { shape = \"points\", points = [[0, 1], [5, 2]] }\n";
        let doc = ImDocument::parse(src).unwrap();
        let at = |p: &str| locate(&doc, &KeyPath::parse(p).unwrap());
        assert_eq!(at("simulation.seed"), Some((2, 1)));
        assert_eq!(at("nodes[1].memory"), Some((9, 1)));
        assert_eq!(at("nodes[1].profile.shape"), Some((10, 13)));
        assert_eq!(at("nodes[1].profile.points[1][0]"), Some((10, 50)));
        // A missing key points at the table that should hold it.
        assert_eq!(at("nodes[0].memory"), Some((4, 1)));
    }
}
