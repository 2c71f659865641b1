//! Components: they read signals, call the core, and show the result.

pub mod app;
pub mod context;
pub mod download;
pub mod history;
pub mod imei_field;
pub mod portal;
pub mod results_table;
pub mod run_controller;
pub mod secret_field;
pub mod store;
pub mod summary;
pub mod sync_form;
pub mod workbench;
