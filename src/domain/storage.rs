//! How the browser keeps the local copy, as the status line tells it.

/// Whether the browser promised to keep this site's data, and how much of
/// its quota the data takes: users should know whether the browser may clear
/// their offline copy, and how close it is to full.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageUse {
    /// Granted persistent storage: the browser clears it only if asked.
    pub persistent: bool,
    /// What the site stores now, as the browser estimates it.
    pub used_bytes: f64,
    /// The most the browser lets the site store.
    pub quota_bytes: f64,
}

impl StorageUse {
    /// "Storage: kept (persistent) · 3.2 MB of 120 GB used".
    pub fn describe(&self) -> String {
        let kept = if self.persistent {
            "kept (persistent)"
        } else {
            "may be cleared by the browser"
        };
        format!(
            "Storage: {kept} · {} of {} used",
            bytes(self.used_bytes),
            bytes(self.quota_bytes)
        )
    }
}

/// A size in decimal units with at most one decimal, as disks are labelled.
/// Integer arithmetic: formatting floats would add kilobytes to the bundle.
pub fn bytes(size: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    // Sizes are whole bytes; `as` saturates, so a negative or absurd one is harmless.
    let mut tenths = (size.max(0.0) as u64).saturating_mul(10);
    let mut unit = 0;
    while tenths >= 10_000 && unit + 1 < UNITS.len() {
        tenths = (tenths + 500) / 1000;
        unit += 1;
    }
    if unit == 0 || tenths >= 1_000 {
        format!("{} {}", (tenths + 5) / 10, UNITS[unit])
    } else {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_disk_labels() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(999.0), "999 B");
        assert_eq!(bytes(3_200_000.0), "3.2 MB");
        assert_eq!(bytes(120_000_000_000.0), "120 GB");
    }

    #[test]
    fn the_line_says_whether_the_copy_is_kept() {
        let kept = StorageUse {
            persistent: true,
            used_bytes: 3_200_000.0,
            quota_bytes: 120e9,
        };
        assert_eq!(
            kept.describe(),
            "Storage: kept (persistent) · 3.2 MB of 120 GB used"
        );
        let loose = StorageUse {
            persistent: false,
            ..kept
        };
        assert!(loose.describe().contains("may be cleared by the browser"));
    }
}
