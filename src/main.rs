//! Mounts the app.

fn main() {
    leptos::mount::mount_to_body(fota_sync::ui::app::App);
}
