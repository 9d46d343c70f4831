//! API tests: the kefu server on a real port, on SQLite and on the PostgreSQL server at 127.0.0.1:5432.

mod common;
mod customers;
mod input;
mod matrix;
mod retention;
mod routing;
mod sla;
mod story;
mod tickets;
