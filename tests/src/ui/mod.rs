//! The page of `quaderno ui` in end-to-end tests: the real process ([`UiProcess`]) and real
//! headless Chromium browsers on it ([`Browsers`], driven by `tests/js/ui_driver.mjs`).

mod browser;
mod process;

pub use browser::{Browsers, screenshot_dir};
pub use process::UiProcess;
