//! How many WebSockets each device holds open, so one device's token cannot pile them up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Open WebSockets per device, with the most one may hold.
#[derive(Debug)]
pub struct DeviceSlots {
    max: usize,
    open: Mutex<HashMap<i64, usize>>,
}

/// One device's WebSocket, counted until it is dropped (with the connection, or with the
/// upgrade that never happened).
#[derive(Debug)]
pub struct DeviceSlot {
    slots: Arc<DeviceSlots>,
    device: i64,
}

impl DeviceSlots {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The most WebSockets a device may hold.
    pub fn max(&self) -> usize {
        self.max
    }

    /// A slot for one more WebSocket of `device`, unless it holds the most it may.
    pub fn claim(self: &Arc<Self>, device: i64) -> Option<DeviceSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(device).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(DeviceSlot {
            slots: self.clone(),
            device,
        })
    }
}

impl Drop for DeviceSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.device) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.device);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_holds_at_most_its_share_and_a_closed_one_makes_room() {
        let slots = DeviceSlots::new(2);
        let first = slots.claim(7).expect("the first");
        let _second = slots.claim(7).expect("the second");
        assert!(slots.claim(7).is_none(), "a third is refused");
        assert!(slots.claim(8).is_some(), "another device is not affected");
        drop(first);
        assert!(slots.claim(7).is_some(), "a closed one makes room");
    }
}
