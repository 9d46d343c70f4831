//! API tests: the kefu server on a real port, on SQLite and on the PostgreSQL server at 127.0.0.1:5432.

mod aftersales;
mod aftersales_page;
mod app_channel;
mod approvals;
mod chat;
mod common;
mod complaints;
mod customers;
mod ecommerce_loop;
mod email;
mod input;
mod matrix;
mod nps;
mod orders;
mod phone;
mod reports;
mod retention;
mod routing;
mod satisfaction;
mod shop;
mod sla;
mod story;
mod tickets;
mod web_pages;
mod webhooks;
