pub mod imei;
