//! API tests: the kefu server on a real port, on SQLite and on the PostgreSQL server at 127.0.0.1:5432.

mod aftersales;
mod app_channel;
mod chat;
mod common;
mod customers;
mod email;
mod input;
mod matrix;
mod orders;
mod phone;
mod reports;
mod retention;
mod routing;
mod sla;
mod story;
mod tickets;
mod web_pages;
mod webhooks;
