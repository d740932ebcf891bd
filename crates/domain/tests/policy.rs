#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Table-driven test of `policy::decide`.
//!
//! The expected decisions are written out by hand, so that a reviewer can read what every role
//! may do, and so that any change in `policy.rs` that widens or narrows a right fails here.
//!
//! Agency tree (fixed uuids):
//!
//! ```text
//! P  province
//! ├── D1 department
//! ├── D2 department
//! └── H  district
//!     └── X  commune
//! ```
//!
//! Every expected-decision string has nine columns, one per target, grouped by spaces:
//!
//! ```text
//! "A AAAAA AAA"
//!  │ │││││ ││└ Account of a citizen (agency None)
//!  │ │││││ │└─ Account of another staff user in X
//!  │ │││││ └── Account of the actor itself (see each table for where it lives)
//!  │ ││││└──── Agency X   (path P/H/X)
//!  │ │││└───── Agency H   (path P/H)
//!  │ ││└────── Agency D2  (path P/D2)
//!  │ │└─────── Agency D1  (path P/D1)
//!  │ └──────── Agency P   (path P)
//!  └────────── Target::Platform
//! ```
//!
//! `A` = Allow, `.` = Deny, `L` = NeedLogin.

use cqdt_domain::ids::{AgencyId, UserId};
use cqdt_domain::policy::Action::*;
use cqdt_domain::policy::Role::*;
use cqdt_domain::policy::Scope::*;
use cqdt_domain::policy::{Action, Actor, Decision, Grant, Role, Scope, Target, decide};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const P: AgencyId = AgencyId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001));
const D1: AgencyId = AgencyId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0011));
const D2: AgencyId = AgencyId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0012));
const H: AgencyId = AgencyId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0021));
const X: AgencyId = AgencyId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0031));

const PATH_P: &[AgencyId] = &[P];
const PATH_D1: &[AgencyId] = &[P, D1];
const PATH_D2: &[AgencyId] = &[P, D2];
const PATH_H: &[AgencyId] = &[P, H];
const PATH_X: &[AgencyId] = &[P, H, X];

/// The staff actor under test.
const ME: UserId = UserId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0001_0001));
/// Another staff user, working in commune X.
const STAFF_X: UserId = UserId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0001_0002));
/// A staff user in D1, used as the "own account" column for actors that have no account.
const STAFF_D1: UserId = UserId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0001_0003));
/// A staff user in D2.
const STAFF_D2: UserId = UserId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0001_0004));
/// A citizen.
const CITIZEN: UserId = UserId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0002_0001));
/// Another citizen (the citizen column when the actor is itself a citizen).
const CITIZEN_2: UserId = UserId(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0002_0002));

const TARGET_NAMES: [&str; 9] = [
    "platform",
    "agency P",
    "agency D1",
    "agency D2",
    "agency H",
    "agency X",
    "own account",
    "staff account in X",
    "citizen account",
];

/// The nine targets; `own` is the account in column 7, `citizen` the one in column 9.
fn targets(own: (UserId, Option<&'static [AgencyId]>), citizen: UserId) -> [Target<'static>; 9] {
    [
        Target::Platform,
        Target::Agency(PATH_P),
        Target::Agency(PATH_D1),
        Target::Agency(PATH_D2),
        Target::Agency(PATH_H),
        Target::Agency(PATH_X),
        Target::Account {
            user: own.0,
            agency: own.1,
        },
        Target::Account {
            user: STAFF_X,
            agency: Some(PATH_X),
        },
        Target::Account {
            user: citizen,
            agency: None,
        },
    ]
}

/// Where a grant applies, i.e. the four grant positions of the staff table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    Platform,
    P,
    H,
    D1,
}

const ON_ALL: [On; 4] = [On::Platform, On::P, On::H, On::D1];

impl On {
    fn agency(self) -> Option<AgencyId> {
        match self {
            On::Platform => None,
            On::P => Some(P),
            On::H => Some(H),
            On::D1 => Some(D1),
        }
    }
    /// The staff actor's own account lives at the agency of its grant (the province for a
    /// platform-wide grant).
    fn home(self) -> &'static [AgencyId] {
        match self {
            On::Platform | On::P => PATH_P,
            On::H => PATH_H,
            On::D1 => PATH_D1,
        }
    }
}

/// A staff actor's grants, as (role, agency) pairs.
type Grants = Vec<(Role, Option<AgencyId>)>;

fn staff(grants: &[(Role, Option<AgencyId>)]) -> Actor {
    Actor::Staff {
        user: ME,
        grants: grants
            .iter()
            .map(|&(role, agency)| Grant { role, agency })
            .collect(),
    }
}

fn key(scopes: &[Scope], agency: Option<AgencyId>) -> Actor {
    Actor::System {
        scopes: scopes.to_vec(),
        agency,
    }
}

fn parse_expected(s: &str) -> [Decision; 9] {
    let v: Vec<Decision> = s
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| match c {
            'A' => Decision::Allow,
            '.' => Decision::Deny,
            'L' => Decision::NeedLogin,
            other => panic!("bad character {other:?} in expected string {s:?}"),
        })
        .collect();
    v.try_into()
        .unwrap_or_else(|v: Vec<Decision>| panic!("{s:?} has {} columns, not 9", v.len()))
}

/// Collects mismatches so that one run reports all of them.
#[derive(Default)]
struct Checker {
    cases: usize,
    failures: Vec<String>,
}

impl Checker {
    fn check(
        &mut self,
        who: &str,
        action: Action,
        target_name: &str,
        got: Decision,
        want: Decision,
    ) {
        self.cases += 1;
        if got != want {
            self.failures.push(format!(
                "{who}: {action:?} on {target_name}: expected {want:?}, got {got:?}"
            ));
        }
    }

    fn row(&mut self, who: &str, actor: &Actor, action: Action, ts: &[Target<'_>; 9], want: &str) {
        let want = parse_expected(want);
        for i in 0..9 {
            let got = decide(actor, action, ts[i]);
            self.check(who, action, TARGET_NAMES[i], got, want[i]);
        }
    }

    fn finish(self, name: &str) {
        println!("{name}: {} cases checked", self.cases);
        assert!(
            self.failures.is_empty(),
            "{name}: {} of {} cases differ from the table:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

/// A compile-time guard: a new `Action` variant makes this match non-exhaustive, which is the
/// reminder to add it to `Action::ALL` and a row to every table below.
fn action_is_known(a: Action) -> bool {
    match a {
        ViewAgencies | ManageAgency | ManageRootAgency | ViewUsers | ManageUsers
        | ViewOwnAccount | ViewAccount | ViewAudit | ManageApiKeys | ManageCalendar
        | ViewCalendar | ReceiveDossier | ProcessDossier | Approve | RegisterDocument
        | HandleDocument | ViewDocuments | ViewSecretDocuments | ManageMeeting
        | EnterIndicators | ViewDashboard | ViewProcedures | ActAsApplicant => true,
    }
}

/// Same guard for roles.
fn role_is_known(r: Role) -> bool {
    match r {
        Administrator | OneStopOfficer | Specialist | Leader | Clerk | MeetingSecretary
        | StatisticsOfficer | ProvinceViewer => true,
    }
}

/// Same guard for scopes.
fn scope_is_known(s: Scope) -> bool {
    match s {
        AgenciesRead | AgenciesWrite | UsersRead | AuditRead | CalendarRead => true,
    }
}

// ---------------------------------------------------------------------------------------------
// Staff: role × grant position × action × target
// ---------------------------------------------------------------------------------------------

/// One staff actor holding exactly one grant: `role` on the platform / on P / on H / on D1.
/// The actor's own account lives at its grant's agency (P for the platform-wide grant).
///
/// Reading aid: a role's right on its subtree shows as
///   platform "A AAAAA AAA", on P ". AAAAA AA.", on H ". ...AA AA.", on D1 ". .A... A..".
/// Platform-only actions (ManageRootAgency, ManageApiKeys, ManageCalendar) are allowed only
/// with the platform-wide Administrator grant, whatever the target.
#[rustfmt::skip]
const STAFF: &[(Role, Action, [&str; 4])] = &[
    //                                     on platform    on P           on H           on D1
    (Administrator, ViewAgencies,         ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Administrator, ManageAgency,         ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Administrator, ManageRootAgency,     ["A AAAAA AAA", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ViewUsers,            ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Administrator, ManageUsers,          ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Administrator, ViewOwnAccount,       [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (Administrator, ViewAccount,          ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Administrator, ViewAudit,            ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Administrator, ManageApiKeys,        ["A AAAAA AAA", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ManageCalendar,       ["A AAAAA AAA", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ViewCalendar,         ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Administrator, ReceiveDossier,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ProcessDossier,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, Approve,              [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, RegisterDocument,     [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, HandleDocument,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ViewDocuments,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ViewSecretDocuments, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ManageMeeting,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, EnterIndicators,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Administrator, ViewDashboard,        ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Administrator, ViewProcedures,       ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Administrator, ActAsApplicant,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),

    (OneStopOfficer, ViewAgencies,        ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (OneStopOfficer, ManageAgency,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ManageRootAgency,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ViewUsers,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ManageUsers,         [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ViewOwnAccount,      [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (OneStopOfficer, ViewAccount,         [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (OneStopOfficer, ViewAudit,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ManageApiKeys,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ManageCalendar,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ViewCalendar,        ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (OneStopOfficer, ReceiveDossier,      ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (OneStopOfficer, ProcessDossier,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, Approve,             [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, RegisterDocument,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, HandleDocument,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ViewDocuments,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ViewSecretDocuments, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ManageMeeting,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, EnterIndicators,     [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ViewDashboard,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (OneStopOfficer, ViewProcedures,      ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (OneStopOfficer, ActAsApplicant,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),

    (Specialist, ViewAgencies,            ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Specialist, ManageAgency,            [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ManageRootAgency,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ViewUsers,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ManageUsers,             [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ViewOwnAccount,          [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (Specialist, ViewAccount,             [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (Specialist, ViewAudit,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ManageApiKeys,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ManageCalendar,          [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ViewCalendar,            ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Specialist, ReceiveDossier,          [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ProcessDossier,          ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Specialist, Approve,                 [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, RegisterDocument,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, HandleDocument,          ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Specialist, ViewDocuments,           ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Specialist, ViewSecretDocuments, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ManageMeeting,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, EnterIndicators,         [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ViewDashboard,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Specialist, ViewProcedures,          ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Specialist, ActAsApplicant,          [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),

    (Leader, ViewAgencies,                ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Leader, ManageAgency,                [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ManageRootAgency,            [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ViewUsers,                   ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, ManageUsers,                 [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ViewOwnAccount,              [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (Leader, ViewAccount,                 ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, ViewAudit,                   [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ManageApiKeys,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ManageCalendar,              [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ViewCalendar,                ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Leader, ReceiveDossier,              [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ProcessDossier,              ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, Approve,                     ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, RegisterDocument,            [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, HandleDocument,              ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, ViewDocuments,               ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, ViewSecretDocuments, ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, ManageMeeting,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, EnterIndicators,             [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Leader, ViewDashboard,               ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Leader, ViewProcedures,              ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Leader, ActAsApplicant,              [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),

    (Clerk, ViewAgencies,                 ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Clerk, ManageAgency,                 [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ManageRootAgency,             [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ViewUsers,                    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ManageUsers,                  [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ViewOwnAccount,               [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (Clerk, ViewAccount,                  [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (Clerk, ViewAudit,                    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ManageApiKeys,                [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ManageCalendar,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ViewCalendar,                 ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Clerk, ReceiveDossier,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ProcessDossier,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, Approve,                      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, RegisterDocument,             ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Clerk, HandleDocument,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ViewDocuments,                ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Clerk, ViewSecretDocuments, ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (Clerk, ManageMeeting,                [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, EnterIndicators,              [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ViewDashboard,                [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (Clerk, ViewProcedures,               ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (Clerk, ActAsApplicant,               [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),

    (MeetingSecretary, ViewAgencies,      ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (MeetingSecretary, ManageAgency,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ManageRootAgency,  [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ViewUsers,         [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ManageUsers,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ViewOwnAccount,    [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (MeetingSecretary, ViewAccount,       [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (MeetingSecretary, ViewAudit,         [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ManageApiKeys,     [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ManageCalendar,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ViewCalendar,      ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (MeetingSecretary, ReceiveDossier,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ProcessDossier,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, Approve,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, RegisterDocument,  [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, HandleDocument,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ViewDocuments,     [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ViewSecretDocuments, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ManageMeeting,     ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (MeetingSecretary, EnterIndicators,   [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ViewDashboard,     [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (MeetingSecretary, ViewProcedures,    ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (MeetingSecretary, ActAsApplicant,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),

    (StatisticsOfficer, ViewAgencies,     ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (StatisticsOfficer, ManageAgency,     [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ManageRootAgency, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ViewUsers,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ManageUsers,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ViewOwnAccount,   [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (StatisticsOfficer, ViewAccount,      [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (StatisticsOfficer, ViewAudit,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ManageApiKeys,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ManageCalendar,   [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ViewCalendar,     ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (StatisticsOfficer, ReceiveDossier,   [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ProcessDossier,   [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, Approve,          [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, RegisterDocument, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, HandleDocument,   [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ViewDocuments,    ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (StatisticsOfficer, ViewSecretDocuments, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ManageMeeting,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, EnterIndicators,  ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (StatisticsOfficer, ViewDashboard,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (StatisticsOfficer, ViewProcedures,   ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (StatisticsOfficer, ActAsApplicant,   [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),

    (ProvinceViewer, ViewAgencies,        ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (ProvinceViewer, ManageAgency,        [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ManageRootAgency,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ViewUsers,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ManageUsers,         [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ViewOwnAccount,      [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (ProvinceViewer, ViewAccount,         [". ..... A..", ". ..... A..", ". ..... A..", ". ..... A.."]),
    (ProvinceViewer, ViewAudit,           [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ManageApiKeys,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ManageCalendar,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ViewCalendar,        ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (ProvinceViewer, ReceiveDossier,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ProcessDossier,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, Approve,             [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, RegisterDocument,    [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, HandleDocument,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ViewDocuments,       ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (ProvinceViewer, ViewSecretDocuments, [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ManageMeeting,       [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, EnterIndicators,     [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProvinceViewer, ViewDashboard,       ["A AAAAA AAA", ". AAAAA AA.", ". ...AA AA.", ". .A... A.."]),
    (ProvinceViewer, ViewProcedures,      ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (ProvinceViewer, ActAsApplicant,      [". ..... ...", ". ..... ...", ". ..... ...", ". ..... ..."]),
];

#[test]
fn staff_table_covers_every_role_and_action_once() {
    let mut missing = Vec::new();
    for role in Role::ALL {
        assert!(role_is_known(role));
        for action in Action::ALL {
            assert!(action_is_known(action));
            let n = STAFF
                .iter()
                .filter(|(r, a, _)| *r == role && *a == action)
                .count();
            if n != 1 {
                missing.push(format!("{role:?} × {action:?} appears {n} times"));
            }
        }
    }
    assert!(missing.is_empty(), "staff table:\n{}", missing.join("\n"));
    assert_eq!(STAFF.len(), Role::ALL.len() * Action::ALL.len());
    for (_, _, cols) in STAFF {
        for c in cols {
            parse_expected(c);
        }
    }
}

#[test]
fn staff_single_grant_matrix() {
    let mut ck = Checker::default();
    for &(role, action, expected) in STAFF {
        for (on, want) in ON_ALL.into_iter().zip(expected) {
            let actor = staff(&[(role, on.agency())]);
            let ts = targets((ME, Some(on.home())), CITIZEN);
            ck.row(&format!("{role:?} on {on:?}"), &actor, action, &ts, want);
        }
    }
    ck.finish("staff_single_grant_matrix");
}

/// A staff actor with no grant at all: public reads and its own account only.
#[test]
fn staff_without_grants() {
    let mut ck = Checker::default();
    let actor = staff(&[]);
    let ts = targets((ME, Some(PATH_X)), CITIZEN);
    for action in Action::ALL {
        let want = match action {
            ViewAgencies | ViewCalendar | ViewProcedures => "A AAAAA AAA",
            ViewOwnAccount | ViewAccount => ". ..... A..",
            _ => ". ..... ...",
        };
        ck.row("staff without grants", &actor, action, &ts, want);
    }
    ck.finish("staff_without_grants");
}

// ---------------------------------------------------------------------------------------------
// Anonymous and citizens
// ---------------------------------------------------------------------------------------------

/// Anonymous visitor. "Own account" column: the account of a staff user in D1.
#[rustfmt::skip]
const ANONYMOUS: &[(Action, &str)] = &[
    (ViewAgencies,     "A AAAAA AAA"),
    (ManageAgency,     "L LLLLL LLL"),
    (ManageRootAgency, "L LLLLL LLL"),
    (ViewUsers,        "L LLLLL LLL"),
    (ManageUsers,      "L LLLLL LLL"),
    (ViewOwnAccount,   "L LLLLL LLL"),
    (ViewAccount,      "L LLLLL LLL"),
    (ViewAudit,        "L LLLLL LLL"),
    (ManageApiKeys,    "L LLLLL LLL"),
    (ManageCalendar,   "L LLLLL LLL"),
    (ViewCalendar,     "A AAAAA AAA"),
    (ReceiveDossier,   "L LLLLL LLL"),
    (ProcessDossier,   "L LLLLL LLL"),
    (Approve,          "L LLLLL LLL"),
    (RegisterDocument, "L LLLLL LLL"),
    (HandleDocument,   "L LLLLL LLL"),
    (ViewDocuments,    "L LLLLL LLL"),
    (ViewSecretDocuments, "L LLLLL LLL"),
    (ManageMeeting,    "L LLLLL LLL"),
    (EnterIndicators,  "L LLLLL LLL"),
    (ViewDashboard,    "L LLLLL LLL"),
    (ViewProcedures,   "A AAAAA AAA"),
    (ActAsApplicant,   "L LLLLL LLL"),
];

/// A citizen. "Own account" column: the citizen's own account (agency None); the "citizen
/// account" column is another citizen.
#[rustfmt::skip]
const CITIZEN_TABLE: &[(Action, &str)] = &[
    (ViewAgencies,     "A AAAAA AAA"),
    (ManageAgency,     ". ..... ..."),
    (ManageRootAgency, ". ..... ..."),
    (ViewUsers,        ". ..... ..."),
    (ManageUsers,      ". ..... ..."),
    (ViewOwnAccount,   ". ..... A.."),
    (ViewAccount,      ". ..... A.."),
    (ViewAudit,        ". ..... ..."),
    (ManageApiKeys,    ". ..... ..."),
    (ManageCalendar,   ". ..... ..."),
    (ViewCalendar,     "A AAAAA AAA"),
    (ReceiveDossier,   ". ..... ..."),
    (ProcessDossier,   ". ..... ..."),
    (Approve,          ". ..... ..."),
    (RegisterDocument, ". ..... ..."),
    (HandleDocument,   ". ..... ..."),
    (ViewDocuments,    ". ..... ..."),
    (ViewSecretDocuments, ". ..... ..."),
    (ManageMeeting,    ". ..... ..."),
    (EnterIndicators,  ". ..... ..."),
    (ViewDashboard,    ". ..... ..."),
    (ViewProcedures,   "A AAAAA AAA"),
    // The applicant's own account only (the target of every applicant action).
    (ActAsApplicant,   ". ..... A.."),
];

fn assert_covers_every_action(name: &str, actions: &[Action]) {
    for action in Action::ALL {
        let n = actions.iter().filter(|a| **a == action).count();
        assert_eq!(n, 1, "{name}: {action:?} appears {n} times");
    }
    assert_eq!(actions.len(), Action::ALL.len(), "{name}: extra rows");
}

#[test]
fn anonymous_matrix() {
    let actions: Vec<Action> = ANONYMOUS.iter().map(|r| r.0).collect();
    assert_covers_every_action("ANONYMOUS", &actions);
    let mut ck = Checker::default();
    let ts = targets((STAFF_D1, Some(PATH_D1)), CITIZEN);
    for &(action, want) in ANONYMOUS {
        ck.row("anonymous", &Actor::Anonymous, action, &ts, want);
    }
    ck.finish("anonymous_matrix");
}

#[test]
fn citizen_matrix() {
    let actions: Vec<Action> = CITIZEN_TABLE.iter().map(|r| r.0).collect();
    assert_covers_every_action("CITIZEN_TABLE", &actions);
    let mut ck = Checker::default();
    let me = Actor::Citizen { user: CITIZEN };
    let ts = targets((CITIZEN, None), CITIZEN_2);
    for &(action, want) in CITIZEN_TABLE {
        ck.row("citizen", &me, action, &ts, want);
    }
    // A citizen can never read a staff account, even one that names no agency.
    for action in [ViewOwnAccount, ViewAccount] {
        let t = Target::Account {
            user: STAFF_D1,
            agency: None,
        };
        ck.check(
            "citizen",
            action,
            "staff account without agency",
            decide(&me, action, t),
            Decision::Deny,
        );
    }
    ck.finish("citizen_matrix");
}

// ---------------------------------------------------------------------------------------------
// API keys (Actor::System)
// ---------------------------------------------------------------------------------------------

/// API keys. For each action: the scope it needs (None: no key may ever do it), then the
/// decisions for
/// * a key lacking that scope (any other scopes, or none),
/// * a platform-wide key holding it,
/// * a key holding it limited to the subtree of H.
///
/// For actions needing no scope, the last two columns are for a key holding every scope.
/// "Own account" column: the account of a staff user in D1 (keys have no account).
#[rustfmt::skip]
const KEYS: &[(Action, Option<Scope>, [&str; 3])] = &[
    //                                       without scope  with, platform  with, on H
    (ViewAgencies,     Some(AgenciesRead),  ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (ManageAgency,     Some(AgenciesWrite), [". ..... ...", "A AAAAA AAA", ". ...AA .A."]),
    (ManageRootAgency, None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewUsers,        Some(UsersRead),     [". ..... ...", "A AAAAA AAA", ". ...AA .A."]),
    (ManageUsers,      None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewOwnAccount,   None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewAccount,      Some(UsersRead),     [". ..... ...", "A AAAAA AAA", ". ...AA .A."]),
    (ViewAudit,        Some(AuditRead),     [". ..... ...", "A AAAAA AAA", ". ...AA .A."]),
    (ManageApiKeys,    None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ManageCalendar,   None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewCalendar,     Some(CalendarRead),  ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (ReceiveDossier,   None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ProcessDossier,   None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (Approve,          None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (RegisterDocument, None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (HandleDocument,   None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewDocuments,    None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewSecretDocuments, None,         [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ManageMeeting,    None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (EnterIndicators,  None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewDashboard,    None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
    (ViewProcedures,   None,                ["A AAAAA AAA", "A AAAAA AAA", "A AAAAA AAA"]),
    (ActAsApplicant,   None,                [". ..... ...", ". ..... ...", ". ..... ..."]),
];

#[test]
fn api_key_matrix() {
    let actions: Vec<Action> = KEYS.iter().map(|r| r.0).collect();
    assert_covers_every_action("KEYS", &actions);
    for s in Scope::ALL {
        assert!(scope_is_known(s));
    }
    let mut ck = Checker::default();
    let ts = targets((STAFF_D1, Some(PATH_D1)), CITIZEN);
    for &(action, needed, [without, with_all, with_h]) in KEYS {
        for (agency, with) in [(None, with_all), (Some(H), with_h)] {
            let on = if agency.is_none() { "platform" } else { "H" };
            // No scope at all.
            ck.row(
                &format!("key [] on {on}"),
                &key(&[], agency),
                action,
                &ts,
                without,
            );
            // Exactly one scope: allowed only if it is the needed one.
            for s in Scope::ALL {
                let want = if Some(s) == needed { with } else { without };
                let who = format!("key [{}] on {on}", s.as_str());
                ck.row(&who, &key(&[s], agency), action, &ts, want);
            }
            // Every scope: keys never get the actions with no scope.
            let who = format!("key [all scopes] on {on}");
            ck.row(&who, &key(&Scope::ALL, agency), action, &ts, with);
        }
    }
    // A key limited to D1 is refused in H and X, and vice versa.
    let d1_key = key(&Scope::ALL, Some(D1));
    for (t, name, want) in [
        (Target::Agency(PATH_D1), "agency D1", Decision::Allow),
        (Target::Agency(PATH_D2), "agency D2", Decision::Deny),
        (Target::Agency(PATH_H), "agency H", Decision::Deny),
        (Target::Agency(PATH_X), "agency X", Decision::Deny),
        (Target::Agency(PATH_P), "agency P", Decision::Deny),
        (Target::Platform, "platform", Decision::Deny),
    ] {
        for action in [ManageAgency, ViewUsers, ViewAudit] {
            ck.check(
                "key [all] on D1",
                action,
                name,
                decide(&d1_key, action, t),
                want,
            );
        }
    }
    ck.finish("api_key_matrix");
}

/// The four things no key may ever do, whatever its scopes and reach.
#[test]
fn api_keys_never_administer() {
    let mut ck = Checker::default();
    let ts = targets((STAFF_D1, Some(PATH_D1)), CITIZEN);
    for agency in [None, Some(P), Some(H)] {
        let k = key(&Scope::ALL, agency);
        for action in [ManageUsers, ManageApiKeys, ManageCalendar, ManageRootAgency] {
            ck.row(
                &format!("key [all] on {agency:?}"),
                &k,
                action,
                &ts,
                ". ..... ...",
            );
        }
    }
    ck.finish("api_keys_never_administer");
}

// ---------------------------------------------------------------------------------------------
// Several grants on one staff actor; platform-only actions
// ---------------------------------------------------------------------------------------------

#[test]
fn multiple_grants() {
    use Decision::{Allow, Deny};
    let x_staff = Target::Account {
        user: STAFF_X,
        agency: Some(PATH_X),
    };
    let d2_staff = Target::Account {
        user: STAFF_D2,
        agency: Some(PATH_D2),
    };
    let citizen = Target::Account {
        user: CITIZEN,
        agency: None,
    };
    #[rustfmt::skip]
    let cases: Vec<(&str, Grants, Action, Target<'_>, &str, Decision)> = vec![
        // Clerk of D1 and Leader of H: each right stays in its own subtree.
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], RegisterDocument, Target::Agency(PATH_D1), "D1", Allow),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], RegisterDocument, Target::Agency(PATH_H),  "H",  Deny),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], RegisterDocument, Target::Agency(PATH_X),  "X",  Deny),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], Approve,          Target::Agency(PATH_X),  "X",  Allow),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], Approve,          Target::Agency(PATH_D1), "D1", Deny),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], ViewUsers,        Target::Agency(PATH_X),  "X",  Allow),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], ViewUsers,        Target::Agency(PATH_D1), "D1", Deny),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], ViewAccount,      x_staff,                 "staff in X", Allow),
        ("clerk D1 + leader H", vec![(Clerk, Some(D1)), (Leader, Some(H))], ManageUsers,      x_staff,                 "staff in X", Deny),
        // Administrator of D1 and of H: D2 and P stay out of reach.
        ("admin D1 + admin H", vec![(Administrator, Some(D1)), (Administrator, Some(H))], ManageUsers,  Target::Agency(PATH_D1), "D1", Allow),
        ("admin D1 + admin H", vec![(Administrator, Some(D1)), (Administrator, Some(H))], ManageUsers,  Target::Agency(PATH_X),  "X",  Allow),
        ("admin D1 + admin H", vec![(Administrator, Some(D1)), (Administrator, Some(H))], ManageUsers,  Target::Agency(PATH_D2), "D2", Deny),
        ("admin D1 + admin H", vec![(Administrator, Some(D1)), (Administrator, Some(H))], ManageUsers,  d2_staff,                "staff in D2", Deny),
        ("admin D1 + admin H", vec![(Administrator, Some(D1)), (Administrator, Some(H))], ManageAgency, Target::Agency(PATH_P),  "P",  Deny),
        ("admin D1 + admin H", vec![(Administrator, Some(D1)), (Administrator, Some(H))], ManageAgency, Target::Platform,        "platform", Deny),
        // One-stop officer of X plus specialist of D1: desk work in X, processing in D1 only.
        ("one-stop X + specialist D1", vec![(OneStopOfficer, Some(X)), (Specialist, Some(D1))], ReceiveDossier, Target::Agency(PATH_X),  "X",  Allow),
        ("one-stop X + specialist D1", vec![(OneStopOfficer, Some(X)), (Specialist, Some(D1))], ReceiveDossier, Target::Agency(PATH_H),  "H",  Deny),
        ("one-stop X + specialist D1", vec![(OneStopOfficer, Some(X)), (Specialist, Some(D1))], ReceiveDossier, Target::Agency(PATH_D1), "D1", Deny),
        ("one-stop X + specialist D1", vec![(OneStopOfficer, Some(X)), (Specialist, Some(D1))], ProcessDossier, Target::Agency(PATH_D1), "D1", Allow),
        ("one-stop X + specialist D1", vec![(OneStopOfficer, Some(X)), (Specialist, Some(D1))], ProcessDossier, Target::Agency(PATH_X),  "X",  Deny),
        ("one-stop X + specialist D1", vec![(OneStopOfficer, Some(X)), (Specialist, Some(D1))], ManageUsers,    Target::Agency(PATH_X),  "X",  Deny),
        // Province viewer platform-wide plus administrator of P: the dashboard everywhere,
        // administration in P's subtree, but no platform-only action.
        ("viewer platform + admin P", vec![(ProvinceViewer, None), (Administrator, Some(P))], ViewDashboard,    Target::Platform,       "platform", Allow),
        ("viewer platform + admin P", vec![(ProvinceViewer, None), (Administrator, Some(P))], ViewUsers,        Target::Platform,       "platform", Deny),
        ("viewer platform + admin P", vec![(ProvinceViewer, None), (Administrator, Some(P))], ViewUsers,        Target::Agency(PATH_X), "X",  Allow),
        ("viewer platform + admin P", vec![(ProvinceViewer, None), (Administrator, Some(P))], ViewAccount,      citizen,                "citizen", Deny),
        ("viewer platform + admin P", vec![(ProvinceViewer, None), (Administrator, Some(P))], ManageCalendar,   Target::Platform,       "platform", Deny),
        ("viewer platform + admin P", vec![(ProvinceViewer, None), (Administrator, Some(P))], ManageApiKeys,    Target::Platform,       "platform", Deny),
        ("viewer platform + admin P", vec![(ProvinceViewer, None), (Administrator, Some(P))], ManageRootAgency, Target::Platform,       "platform", Deny),
        // A platform-wide administrator who is also a clerk of D1: the clerk grant adds only
        // document registration, and only in D1.
        ("admin platform + clerk D1", vec![(Administrator, None), (Clerk, Some(D1))], ManageCalendar,   Target::Platform,        "platform", Allow),
        ("admin platform + clerk D1", vec![(Administrator, None), (Clerk, Some(D1))], RegisterDocument, Target::Agency(PATH_D1), "D1", Allow),
        ("admin platform + clerk D1", vec![(Administrator, None), (Clerk, Some(D1))], RegisterDocument, Target::Agency(PATH_D2), "D2", Deny),
        ("admin platform + clerk D1", vec![(Administrator, None), (Clerk, Some(D1))], Approve,          Target::Agency(PATH_D1), "D1", Deny),
    ];
    let mut ck = Checker::default();
    for (who, grants, action, target, name, want) in cases {
        ck.check(
            who,
            action,
            name,
            decide(&staff(&grants), action, target),
            want,
        );
    }
    ck.finish("multiple_grants");
}

/// ManageRootAgency, ManageApiKeys and ManageCalendar need an Administrator grant with
/// agency None, even when the target lies inside the grant's subtree.
#[test]
fn platform_only_actions_need_platform_administrator() {
    let mut ck = Checker::default();
    #[rustfmt::skip]
    let holders: [(&str, Grants, &str); 6] = [
        ("admin platform",            vec![(Administrator, None)],                   "A AAAAA AAA"),
        ("admin P",                   vec![(Administrator, Some(P))],                ". ..... ..."),
        ("admin H",                   vec![(Administrator, Some(H))],                ". ..... ..."),
        ("admin X",                   vec![(Administrator, Some(X))],                ". ..... ..."),
        ("admin P + admin H + admin X", vec![(Administrator, Some(P)), (Administrator, Some(H)), (Administrator, Some(X))], ". ..... ..."),
        (
            "every other role platform-wide + admin P",
            vec![
                (OneStopOfficer, None), (Specialist, None), (Leader, None), (Clerk, None),
                (MeetingSecretary, None), (StatisticsOfficer, None), (ProvinceViewer, None),
                (Administrator, Some(P)),
            ],
            ". ..... ...",
        ),
    ];
    let ts = targets((ME, Some(PATH_X)), CITIZEN);
    for (who, grants, want) in &holders {
        let actor = staff(grants);
        for action in [ManageRootAgency, ManageApiKeys, ManageCalendar] {
            ck.row(who, &actor, action, &ts, want);
        }
        // The same grants do reach the subtree for ordinary administration (contrast).
        if grants.contains(&(Administrator, Some(P))) {
            ck.check(
                who,
                ManageAgency,
                "agency X",
                decide(&actor, ManageAgency, Target::Agency(PATH_X)),
                Decision::Allow,
            );
        }
    }
    ck.finish("platform_only_actions_need_platform_administrator");
}
