//! The simulated org's entity lists: the names behind every id the generated facts carry, plus
//! the entities no fact mentions (a retired queue, a deleted user, a deactivated presence), so the
//! dimension datasets have inactive and deleted rows to keep.
//!
//! Vendor-neutral like [`Generator`]: each vendor's simulator serves it in its own shapes and
//! ids. Derived from the seed with its own random stream, so the generated facts do not move.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::generator::{Generator, uuid};

/// Organization presence ids of the system presences the agents' timelines use (the qualifiers
/// of `tOrganizationPresence`), by analytics system presence.
pub const ORG_PRESENCES: &[(&str, &str)] = &[
    ("ON_QUEUE", "e08eaf1b-ee47-4fa9-a231-1200e284798f"),
    ("BREAK", "2b3f0d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"),
    ("MEAL", "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"),
];

/// A named entity with a state.
#[derive(Debug, Clone)]
pub struct Entity {
    /// Id (UUID).
    pub id: String,
    /// Name.
    pub name: String,
    /// `active`, `inactive` or `deleted`.
    pub state: &'static str,
}

/// A user of the org: an agent of the generator, a supervisor, or a departed user.
#[derive(Debug, Clone)]
pub struct User {
    /// Id, name and state.
    pub entity: Entity,
    /// The generator's agent index, for agents.
    pub agent: Option<usize>,
    /// Index into [`Directory::teams`].
    pub team: Option<usize>,
    /// Index into [`Directory::users`] of the manager.
    pub manager: Option<usize>,
}

/// A presence definition.
#[derive(Debug, Clone)]
pub struct Presence {
    /// Id, label and state (`inactive`: deactivated).
    pub entity: Entity,
    /// The definition's spelling: `OnQueue`, `Break`, ….
    pub system_presence: &'static str,
    /// `System` or `User`.
    pub kind: &'static str,
}

/// Every list of the org.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Divisions; the first is the home division.
    pub divisions: Vec<Entity>,
    /// Queues: the generator's queues in order, then a retired one no fact uses.
    pub queues: Vec<Entity>,
    /// Division index per queue.
    pub queue_division: Vec<usize>,
    /// Users: the generator's agents in order (`users[a]` is agent `a`), then supervisors, then a
    /// deleted user.
    pub users: Vec<User>,
    /// Teams; the last is disbanded (`inactive`).
    pub teams: Vec<Entity>,
    /// Wrap-up codes: the generator's in order, then a retired one.
    pub wrap_up_codes: Vec<Entity>,
    /// Routing skills.
    pub skills: Vec<Entity>,
    /// Presence definitions.
    pub presences: Vec<Presence>,
}

/// The agent who has left: still in the facts, `inactive` in the lists.
pub const DEPARTED_AGENT: usize = 23;

fn entity(id: String, name: &str, state: &'static str) -> Entity {
    Entity {
        id,
        name: name.to_string(),
        state,
    }
}

impl Directory {
    /// The lists of `generator`'s org.
    pub fn new(generator: &Generator) -> Self {
        let org = generator.org();
        let mut rng = ChaCha8Rng::seed_from_u64(generator.seed() ^ 0x4449_5245_4354);
        let divisions = vec![
            entity(uuid(&mut rng), "Home", "active"),
            entity(uuid(&mut rng), "Outsourced", "active"),
        ];
        let mut queues: Vec<Entity> = org
            .queues
            .iter()
            .map(|q| entity(q.id.clone(), q.name, "active"))
            .collect();
        queues.push(entity(uuid(&mut rng), "Winter Promotions", "inactive"));
        let queue_division = (0..queues.len()).map(|q| usize::from(q % 4 >= 2)).collect();
        let teams = vec![
            entity(uuid(&mut rng), "Tier 1", "active"),
            entity(uuid(&mut rng), "Tier 2", "active"),
            entity(uuid(&mut rng), "Escalations", "active"),
            entity(uuid(&mut rng), "Night Shift", "inactive"),
        ];
        let agents = org.agents.len();
        let mut users: Vec<User> = org
            .agents
            .iter()
            .enumerate()
            .map(|(a, agent)| User {
                entity: entity(
                    agent.id.clone(),
                    &agent.name,
                    if a == DEPARTED_AGENT {
                        "inactive"
                    } else {
                        "active"
                    },
                ),
                agent: Some(a),
                team: Some(a % 3),
                manager: Some(agents + a % 2),
            })
            .collect();
        for name in ["Maya Supervisor", "Omar Supervisor"] {
            users.push(User {
                entity: entity(uuid(&mut rng), name, "active"),
                agent: None,
                team: None,
                manager: None,
            });
        }
        users.push(User {
            entity: entity(uuid(&mut rng), "Former Contractor", "deleted"),
            agent: None,
            team: None,
            manager: None,
        });
        let code_names = [
            "Resolved",
            "Follow-up Needed",
            "Sale",
            "Complaint",
            "Wrong Number",
        ];
        let mut wrap_up_codes: Vec<Entity> = org
            .wrap_up_codes
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let name = code_names
                    .get(i)
                    .map_or_else(|| format!("Code {i}"), |n| (*n).to_string());
                entity(id.clone(), &name, "active")
            })
            .collect();
        wrap_up_codes.push(entity(uuid(&mut rng), "Legacy Promo", "inactive"));
        let skills = [
            ("English", "active"),
            ("French", "active"),
            ("Spanish", "active"),
            ("Billing Disputes", "active"),
            ("Retention Offers", "inactive"),
            ("Legacy CRM", "deleted"),
        ]
        .iter()
        .map(|(name, state)| entity(uuid(&mut rng), name, state))
        .collect();
        let org_presence = |system: &str| {
            ORG_PRESENCES
                .iter()
                .find(|(s, _)| *s == system)
                .map(|(_, id)| (*id).to_string())
        };
        let mut presences = Vec::new();
        for (system, label, analytics) in [
            ("Available", "Available", "AVAILABLE"),
            ("Away", "Away", "AWAY"),
            ("Busy", "Busy", "BUSY"),
            ("Offline", "Offline", "OFFLINE"),
            ("Idle", "Idle", "IDLE"),
            ("OnQueue", "On Queue", "ON_QUEUE"),
            ("Meal", "Meal", "MEAL"),
            ("Training", "Training", "TRAINING"),
            ("Meeting", "Meeting", "MEETING"),
            ("Break", "Break", "BREAK"),
        ] {
            let id = org_presence(analytics).unwrap_or_else(|| uuid(&mut rng));
            presences.push(Presence {
                entity: entity(id, label, "active"),
                system_presence: system,
                kind: "System",
            });
        }
        presences.push(Presence {
            entity: entity(uuid(&mut rng), "Team Huddle", "inactive"),
            system_presence: "Busy",
            kind: "User",
        });
        Self {
            divisions,
            queues,
            queue_division,
            users,
            teams,
            wrap_up_codes,
            skills,
            presences,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_of_the_facts_has_an_entry_and_some_are_not_active() {
        let g = Generator::new(42);
        let d = Directory::new(&g);
        for q in &g.org().queues {
            assert!(d.queues.iter().any(|e| e.id == q.id));
        }
        for (a, agent) in g.org().agents.iter().enumerate() {
            assert_eq!(d.users[a].entity.id, agent.id);
        }
        for w in &g.org().wrap_up_codes {
            assert!(d.wrap_up_codes.iter().any(|e| &e.id == w));
        }
        for (_, id) in ORG_PRESENCES {
            assert!(d.presences.iter().any(|p| p.entity.id == *id));
        }
        assert_eq!(d.users[DEPARTED_AGENT].entity.state, "inactive");
        assert!(d.users.iter().any(|u| u.entity.state == "deleted"));
        assert!(d.skills.iter().any(|s| s.state == "deleted"));
        // The same seed gives the same lists.
        assert_eq!(
            Directory::new(&Generator::new(42)).teams[0].id,
            d.teams[0].id
        );
    }
}
