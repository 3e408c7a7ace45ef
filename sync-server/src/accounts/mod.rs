//! The relay's accounts: participants and their devices, groups and memberships, invites,
//! each group's change sequence, purged documents and the admin event log.
//!
//! Everything here is a plain function over a `&rusqlite::Connection`, so callers compose
//! several in one transaction. Functions that change more than one row say "call inside a
//! transaction". Time is always passed in (`now`), never read from the clock.

mod activity;
mod changes;
mod devices;
mod erasures;
mod error;
mod events;
mod groups;
mod invites;
mod join;
mod members;
mod operators;
mod participants;
mod purge;
mod reports;
mod role;
mod schema;
pub mod secrets;
mod slug;
mod text;
mod time;

pub use activity::{
    Action, Activity, Actor, MAX_ACTIVITY_PAGE, group_activity, group_activity_csv, relay_activity,
};
pub use changes::{ChangesSince, changes_since, erased_docs, is_purged, record_doc_change};
pub use devices::{
    Device, DeviceAuth, IssuedDevice, authenticate, create_device, group_devices, list_devices,
    revoke_device, revoke_member_device, touch_device,
};
pub use erasures::{
    Backup, Erasure, ErasureDevice, ErasureReceipts, MAX_REASON_CHARS, backups_before,
    confirm_erasures, list_erasures, pending_erasures, record_backup, set_successor,
};
pub use error::{AccountsError, Result};
pub use events::{AdminEvent, AdminEventKind, admin_events_after, latest_admin_event};
pub use groups::{
    Group, GroupSummary, create_group, existing_group, group, list_groups, rename_group,
};
pub use invites::{
    Invite, InviteState, ListedInvite, MAX_INVITE_USES, NewInvite, create_invite,
    find_invite_by_code, find_usable_invite, list_invites, revoke_invite, use_invite,
};
pub use join::{Joined, Joiner, Linked, join, join_with_link};
pub use members::{
    Member, Membership, Removal, add_member, list_members, memberships, remove_member, removed_at,
    role_in_group, set_role,
};
pub use operators::{
    IssuedCode, LINK_CODE_VALIDITY, Operator, create_link_code, create_operator_code, is_operator,
    list_operators,
};
pub use participants::{Participant, create_participant, participant, resolve_participant};
pub use purge::{Purged, Redacted, holds_document, purge_document, redact_document};
pub use reports::{MAX_REPORT_REASON_CHARS, UnreadableNote, list_unreadable, record_unreadable};
pub use role::{InvalidRole, Role};
pub use schema::{COMPONENT, MIGRATIONS};
pub use slug::{GroupSlug, InvalidSlug};
pub use text::{MAX_NAME_CHARS, MAX_TITLE_CHARS};
