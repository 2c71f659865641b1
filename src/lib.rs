//! FOTA Sync: a browser console for ThingSpace's Synchronize Device Firmware endpoint.

pub mod core;
pub mod idb;
pub mod net;
pub mod tabs;
pub mod ui;
