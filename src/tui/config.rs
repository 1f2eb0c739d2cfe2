//! The workbench's config file (`config.toml` in the platform config dir,
//! or `GAVEL_CONFIG`): theme, mouse, and key overrides.
//!
//! ```toml
//! theme = "light"          # or a path to a theme file
//! mouse = false
//! [keys]
//! replay = "R"             # action name (see the palette) = key
//! [certification]          # also read by `gavel certify` and `gavel exceptions`
//! roles = ["legal", "compliance", "audit", "security"]
//! coverage_threshold = 90
//! exception_due = "48h"
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub theme: Option<String>,
    pub mouse: Option<bool>,
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    /// Required roles, coverage threshold and exception due time, shared
    /// with the command line (`gavel certify`, `gavel exceptions add`).
    #[serde(default)]
    pub certification: crate::certify::Settings,
}

impl Config {
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("GAVEL_CONFIG") {
            return Some(PathBuf::from(p));
        }
        directories::ProjectDirs::from("", "", "gavel").map(|d| d.config_dir().join("config.toml"))
    }

    /// Reads the config file; a missing file is the default config, a bad
    /// one is an error that names the file.
    pub fn load(path: Option<&std::path::Path>) -> Result<Config, String> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_theme_mouse_and_keys() {
        let dir = std::env::temp_dir().join(format!("gavel-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "theme = \"light\"\nmouse = false\n[keys]\nreplay = \"R\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.mouse, Some(false));
        assert_eq!(c.keys.get("replay").map(String::as_str), Some("R"));
        std::fs::write(&path, "colour = 1\n").unwrap();
        let e = Config::load(Some(&path)).unwrap_err();
        assert!(e.contains("config.toml") && e.contains("colour"), "{e}");
        assert!(Config::load(Some(&dir.join("missing.toml"))).is_ok());
        std::fs::remove_dir_all(&dir).ok();
    }
}
