//! The resolved configuration: where the notes are and how to print, from the parsed flags.

use std::path::PathBuf;

use anyhow::Context;
use quaderno_client::Notebook;

use crate::args::Cli;
use crate::output::Format;

/// What the command will use, once the flags are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The data folder: `--data-dir`, else `QUADERNO_DIR`, else the platform's data folder.
    pub data_dir: PathBuf,
    /// Print JSON instead of text.
    pub json: bool,
}

impl Config {
    pub fn resolve(cli: &Cli) -> anyhow::Result<Config> {
        let data_dir = match &cli.data_dir {
            Some(dir) => dir.clone(),
            None => default_data_dir()?,
        };
        Ok(Config {
            data_dir,
            json: cli.json,
        })
    }

    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            Format::Text
        }
    }

    pub fn open_notebook(&self) -> Result<Notebook, quaderno_client::NotebookError> {
        Notebook::open(&self.data_dir)
    }
}

fn default_data_dir() -> anyhow::Result<PathBuf> {
    directories::ProjectDirs::from("", "", "quaderno")
        .map(|dirs| dirs.data_dir().to_owned())
        .context(
            "cannot find your home folder: give a data folder with --data-dir DIR or QUADERNO_DIR",
        )
}
