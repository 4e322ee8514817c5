//! Reads tabular files into drift-core columns.
