//! Measuring agents' process groups from `/proc` (through the `procfs` crate: one read of
//! `/proc/PID/stat` per process per tick gives its group, CPU ticks, resident pages and threads).
//! What is kept of the measures is `history.rs`'s.

use std::collections::HashMap;

/// What one process group uses, summed over its processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupUse {
    pub processes: usize,
    pub rss_bytes: u64,
    pub threads: u64,
}

/// Reads every process once and sums those of the wanted groups. Per group: its use, and each
/// member's CPU ticks (for deltas across ticks).
pub fn groups_read(groups: &[i32]) -> HashMap<i32, (GroupUse, Vec<(i32, u64)>)> {
    let mut out: HashMap<i32, (GroupUse, Vec<(i32, u64)>)> = HashMap::new();
    if groups.is_empty() {
        return out;
    }
    let page = procfs::page_size();
    let Ok(all) = procfs::process::all_processes() else { return out };
    for process in all.flatten() {
        // A process that ended between the listing and the read is simply not counted.
        let Ok(stat) = process.stat() else { continue };
        if !groups.contains(&stat.pgrp) {
            continue;
        }
        let entry = out.entry(stat.pgrp).or_default();
        entry.0.processes += 1;
        entry.0.rss_bytes += stat.rss.saturating_mul(page);
        entry.0.threads += u64::try_from(stat.num_threads).unwrap_or(0);
        entry.1.push((stat.pid, stat.utime + stat.stime));
    }
    out
}

/// Turns per-process CPU ticks into a group's share of one core between two reads. A process
/// seen for the first time started since the last read (every group is read every tick), so all
/// its ticks are new; one that ended takes its ticks with it (they are not counted).
#[derive(Debug, Default)]
pub struct CpuMeter {
    last: HashMap<String, (i64, HashMap<i32, u64>)>,
}

impl CpuMeter {
    /// The percentage of one core used by `agent`'s group since its previous read (`None` on the
    /// first read). `ticks_per_second`: the kernel's clock ticks (USER_HZ).
    pub fn update(&mut self, agent: &str, now_ms: i64, members: &[(i32, u64)], ticks_per_second: u64) -> Option<f64> {
        let current: HashMap<i32, u64> = members.iter().copied().collect();
        let previous = self.last.insert(agent.to_owned(), (now_ms, current.clone()));
        let (then, before) = previous?;
        let elapsed_ms = now_ms - then;
        if elapsed_ms <= 0 || ticks_per_second == 0 {
            return None;
        }
        let ticks: u64 = current.iter().map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or(0))).sum();
        Some(ticks as f64 * 1000.0 * 100.0 / ticks_per_second as f64 / elapsed_ms as f64)
    }

    /// Forgets agents no longer sampled.
    pub fn retain(&mut self, live: &[&str]) {
        self.last.retain(|id, _| live.contains(&id.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_the_delta_of_the_groups_ticks_over_the_time_between_reads() {
        let mut m = CpuMeter::default();
        assert_eq!(m.update("a", 0, &[(10, 100)], 100), None);
        // 100 ticks at 100 per second over 2 s: half a core. A new child's ticks all count.
        assert_eq!(m.update("a", 2_000, &[(10, 150), (11, 50)], 100), Some(100.0 * 100.0 / 100.0 / 2.0));
        // A child that ended takes its ticks with it: never negative.
        assert_eq!(m.update("a", 4_000, &[(10, 150)], 100), Some(0.0));
    }

    #[test]
    fn this_process_group_is_read_from_proc() {
        let me = rustix::process::getpgrp().as_raw_nonzero().get();
        let read = groups_read(&[me]);
        let (group, members) = &read[&me];
        assert!(group.processes >= 1 && group.rss_bytes > 0 && group.threads >= 1);
        assert!(members.iter().any(|(pid, _)| *pid == std::process::id() as i32));
    }
}
