//! Who is in which document, and who types there: decided before any connection opens.

use anyhow::bail;
use serde::Serialize;

/// One document of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocPlan {
    /// Clients syncing the document, in ascending order; the first one creates it.
    pub members: Vec<usize>,
    /// Members that edit it.
    pub typists: Vec<usize>,
}

impl DocPlan {
    pub fn owner(&self) -> usize {
        self.members[0]
    }
}

/// Every document of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub clients: usize,
    pub docs: Vec<DocPlan>,
}

impl Plan {
    /// Scenario 1: client `i` syncs documents `i, i+1, …, i+per_client-1` (modulo `docs`) and
    /// edits each of them in turn. With as many clients as documents, every document has
    /// `per_client` members.
    pub fn typing(clients: usize, docs: usize, per_client: usize) -> anyhow::Result<Plan> {
        if clients == 0 || docs == 0 || per_client == 0 {
            bail!("clients, documents and documents per client must all be at least 1");
        }
        if per_client > docs {
            bail!("each client cannot sync {per_client} documents when there are only {docs}");
        }
        if clients * per_client < docs {
            bail!(
                "{clients} clients with {per_client} documents each leave documents without \
                 members: use at most {} documents",
                clients * per_client
            );
        }
        let mut members = vec![Vec::new(); docs];
        for client in 0..clients {
            for j in 0..per_client {
                members[(client + j) % docs].push(client);
            }
        }
        let docs = members
            .into_iter()
            .map(|mut members| {
                members.sort_unstable();
                DocPlan {
                    typists: members.clone(),
                    members,
                }
            })
            .collect();
        Ok(Plan { clients, docs })
    }

    /// Scenario 5: one note, `typists` clients typing in it and `watchers` more only reading.
    pub fn meeting(typists: usize, watchers: usize) -> anyhow::Result<Plan> {
        if typists == 0 {
            bail!("a meeting needs at least one typist");
        }
        let clients = typists + watchers;
        Ok(Plan {
            clients,
            docs: vec![DocPlan {
                members: (0..clients).collect(),
                typists: (0..typists).collect(),
            }],
        })
    }

    /// The documents a client syncs.
    pub fn docs_of(&self, client: usize) -> Vec<usize> {
        self.indexed()
            .filter(|(_, d)| d.members.contains(&client))
            .map(|(i, _)| i)
            .collect()
    }

    /// The documents a client edits, in the order it takes turns between them.
    pub fn typed_by(&self, client: usize) -> Vec<usize> {
        self.indexed()
            .filter(|(_, d)| d.typists.contains(&client))
            .map(|(i, _)| i)
            .collect()
    }

    /// Deliveries one edit in document `doc` owes: one per other member.
    pub fn receivers(&self, doc: usize) -> u64 {
        self.docs[doc].members.len().saturating_sub(1) as u64
    }

    /// Edits per second and deliveries per second asked of the relay when every typist makes an
    /// edit every `interval_ms` on average, taking turns between its documents.
    pub fn offered(&self, interval_ms: f64) -> (f64, f64) {
        let per_typist = 1000.0 / interval_ms;
        let mut edits = 0.0;
        let mut deliveries = 0.0;
        for client in 0..self.clients {
            let typed = self.typed_by(client);
            if typed.is_empty() {
                continue;
            }
            edits += per_typist;
            let mean_receivers =
                typed.iter().map(|&d| self.receivers(d) as f64).sum::<f64>() / typed.len() as f64;
            deliveries += per_typist * mean_receivers;
        }
        (edits, deliveries)
    }

    fn indexed(&self) -> impl Iterator<Item = (usize, &DocPlan)> {
        self.docs.iter().enumerate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_many_clients_as_documents_gives_every_document_the_same_members() {
        let plan = Plan::typing(100, 100, 10).unwrap();

        assert!(plan.docs.iter().all(|d| d.members.len() == 10));
        assert_eq!(plan.docs_of(0), (0..10).collect::<Vec<_>>());
        assert_eq!(plan.docs_of(95).len(), 10);
        assert_eq!(
            plan.docs[0].members,
            vec![0, 91, 92, 93, 94, 95, 96, 97, 98, 99]
        );
        assert_eq!(plan.docs[0].owner(), 0);
        let (edits, deliveries) = plan.offered(100.0);
        assert_eq!(edits, 1000.0);
        assert_eq!(deliveries, 9000.0);
    }

    #[test]
    fn ten_clients_in_ten_documents_each_is_everyone_everywhere() {
        let plan = Plan::typing(10, 10, 10).unwrap();

        assert!(
            plan.docs
                .iter()
                .all(|d| d.members == (0..10).collect::<Vec<_>>())
        );
        assert_eq!(plan.receivers(3), 9);
        assert_eq!(plan.offered(500.0), (20.0, 180.0));
    }

    #[test]
    fn impossible_layouts_are_refused_with_a_reason() {
        assert!(Plan::typing(0, 1, 1).is_err());
        assert!(Plan::typing(10, 5, 6).is_err());
        let err = Plan::typing(2, 10, 2).unwrap_err().to_string();
        assert!(err.contains("at most 4 documents"), "{err}");
    }

    #[test]
    fn a_meeting_has_typists_and_watchers_in_one_note() {
        let plan = Plan::meeting(3, 5).unwrap();

        assert_eq!(plan.clients, 8);
        assert_eq!(plan.typed_by(2), vec![0]);
        assert!(plan.typed_by(3).is_empty());
        assert_eq!(plan.docs_of(7), vec![0]);
        assert_eq!(plan.receivers(0), 7);
        // Three typists at 5 keystrokes per second, each owed to seven others.
        assert_eq!(plan.offered(200.0), (15.0, 105.0));
        assert!(Plan::meeting(0, 4).is_err());
    }
}
