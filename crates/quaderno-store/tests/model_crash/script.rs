//! The script of one round: random transactions from a seed, the same in parent and child.

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc};
use chrono::{DateTime, NaiveDate};
use quaderno_store::index::IndexEntry;

use super::model::{DocKey, IDS, Model, NAMESPACES, Op, PEERS, SETTINGS, WORDS, index_group};

/// Transactions in a script.
pub const TRANSACTIONS: usize = 300;

/// SplitMix64: the same script in parent and child from one seed.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn words(&mut self, max: usize) -> String {
        let n = self.below(max + 1);
        (0..n)
            .map(|_| self.pick(&WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What happens to the child, besides maybe being killed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MidTransaction {
    /// Nothing: it writes its script until killed or done.
    Nothing,
    /// At this transaction it closes its connection before committing, reopens the store and
    /// goes on with the next transaction.
    CloseConnection(usize),
    /// At this transaction it exits before committing.
    Exit(usize),
}

/// One round: the seed of the script and what happens mid-transaction.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub seed: u64,
    pub event: MidTransaction,
}

impl Plan {
    pub fn from_seed(seed: u64) -> Plan {
        let mut rng = Rng(seed ^ 0x5eed);
        let event = match rng.below(4) {
            0 => MidTransaction::CloseConnection(rng.below(40)),
            1 => MidTransaction::Exit(rng.below(80)),
            _ => MidTransaction::Nothing,
        };
        Plan { seed, event }
    }

    pub fn to_env(self) -> String {
        let (kind, at) = match self.event {
            MidTransaction::Nothing => ("nothing", 0),
            MidTransaction::CloseConnection(at) => ("close", at),
            MidTransaction::Exit(at) => ("exit", at),
        };
        format!("{} {kind} {at}", self.seed)
    }

    pub fn from_env(text: &str) -> Plan {
        let parts: Vec<&str> = text.split(' ').collect();
        let at = parts[2].parse().unwrap();
        let event = match parts[1] {
            "close" => MidTransaction::CloseConnection(at),
            "exit" => MidTransaction::Exit(at),
            _ => MidTransaction::Nothing,
        };
        Plan {
            seed: parts[0].parse().unwrap(),
            event,
        }
    }
}

/// The script of transactions, generated as it goes against the model it builds.
pub struct Script {
    rng: Rng,
    pub model: Model,
    actor: ActorId,
    plan: Plan,
    next: usize,
}

/// The next transaction of a script.
pub enum Next {
    Commit(Vec<Op>),
    /// Written but never committed: the model does not change.
    Abandon(Vec<Op>),
}

impl Script {
    pub fn new(plan: Plan) -> Script {
        Script {
            rng: Rng(plan.seed),
            model: Model::default(),
            actor: ActorId::from(plan.seed.to_be_bytes().to_vec()),
            plan,
            next: 0,
        }
    }

    pub fn next(&mut self) -> Option<Next> {
        if self.next == TRANSACTIONS {
            return None;
        }
        let abandon = matches!(
            self.plan.event,
            MidTransaction::CloseConnection(at) | MidTransaction::Exit(at) if at == self.next
        );
        self.next += 1;
        if abandon {
            let mut scratch = self.model.clone();
            Some(Next::Abandon(self.transaction(&mut scratch)))
        } else {
            let mut model = std::mem::take(&mut self.model);
            let ops = self.transaction(&mut model);
            self.model = model;
            Some(Next::Commit(ops))
        }
    }

    /// One to four writes, each applied to `model` as generated so the next sees it.
    fn transaction(&mut self, model: &mut Model) -> Vec<Op> {
        let n = 1 + self.rng.below(4);
        let mut ops = Vec::with_capacity(n);
        for _ in 0..n {
            let op = self.op(model);
            model.apply(&op);
            ops.push(op);
        }
        ops
    }

    fn op(&mut self, model: &Model) -> Op {
        let key = (self.rng.pick(&NAMESPACES), self.rng.pick(&IDS));
        let Some(doc) = model.docs.get(&key) else {
            return match self.rng.below(4) {
                0 => self.index_op(),
                1 => self.setting(),
                _ => self.new_doc(key),
            };
        };
        match self.rng.below(20) {
            0..=7 => self.append(key, doc),
            8 | 9 => Op::Compact(key),
            10..=12 => Op::SyncState {
                key,
                peer: self.rng.pick(&PEERS),
                heads: doc.get_heads(),
            },
            13..=16 => self.index_op(),
            17 => self.setting(),
            _ => Op::Delete(key),
        }
    }

    fn new_doc(&mut self, key: DocKey) -> Op {
        let mut doc = Automerge::new();
        doc.set_actor(self.actor.clone());
        let mut tx = doc.transaction();
        tx.put(ROOT, "title", self.rng.words(3)).unwrap();
        let body = tx.put_object(ROOT, "body", ObjType::Text).unwrap();
        tx.splice_text(&body, 0, 0, &self.rng.words(20)).unwrap();
        tx.commit();
        Op::NewDoc {
            key,
            snapshot: doc.save(),
        }
    }

    /// A change to the title, or text typed into or deleted from the body; sometimes a lot of
    /// text, so that a transaction outgrows the page cache and spills into the log uncommitted.
    fn append(&mut self, key: DocKey, doc: &Automerge) -> Op {
        let mut doc = doc.clone();
        doc.set_actor(self.actor.clone());
        let before = doc.get_heads();
        let (_, body) = doc.get(ROOT, "body").unwrap().unwrap();
        let len = doc.length(&body);
        let mut tx = doc.transaction();
        match self.rng.below(10) {
            0..=2 => {
                tx.put(ROOT, "title", self.rng.words(3)).unwrap();
            }
            3..=5 if len > 0 => {
                let at = self.rng.below(len);
                let del = 1 + self.rng.below((len - at).min(40));
                tx.splice_text(&body, at, del as isize, "").unwrap();
            }
            6 => {
                let text = " ".to_owned() + &self.rng.words(8).repeat(1 + self.rng.below(400));
                tx.splice_text(&body, self.rng.below(len + 1), 0, &text)
                    .unwrap();
            }
            _ => {
                let text = format!(" {} ", self.rng.words(6));
                tx.splice_text(&body, self.rng.below(len + 1), 0, &text)
                    .unwrap();
            }
        }
        tx.commit();
        Op::Append {
            key,
            changes: doc.save_after(&before),
        }
    }

    fn index_op(&mut self) -> Op {
        let id = self.rng.pick(&IDS);
        if self.rng.percent(15) {
            return Op::Unindex(id);
        }
        let created = 1_740_000_000 + self.rng.below(1_000_000) as i64;
        let mut tags: Vec<String> = (0..self.rng.below(3))
            .map(|_| self.rng.pick(&WORDS).to_owned())
            .collect();
        tags.sort();
        tags.dedup();
        Op::Index(IndexEntry {
            id: id.to_owned(),
            group: index_group(id).to_owned(),
            title: self.rng.words(3),
            body: self.rng.words(30),
            tags,
            created_at: DateTime::from_timestamp(created, 0).unwrap(),
            updated_at: DateTime::from_timestamp(created + self.rng.below(9999) as i64, 0).unwrap(),
            meeting_date: self
                .rng
                .percent(50)
                .then(|| NaiveDate::from_ymd_opt(2025, 1 + self.rng.below(12) as u32, 1).unwrap()),
            place: self.rng.percent(50).then(|| "Palermo".to_owned()),
            deleted: self.rng.percent(20),
        })
    }

    fn setting(&mut self) -> Op {
        Op::Setting {
            key: self.rng.pick(&SETTINGS),
            value: self.rng.words(4),
        }
    }
}
