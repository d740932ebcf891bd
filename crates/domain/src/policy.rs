//! Roles, grants and the one policy function that decides every action.
//!
//! Architecture invariant: every authorization decision in cqdt goes through [`decide`];
//! handlers and use cases never check roles themselves.

use crate::ids::{AgencyId, UserId};
use serde::{Deserialize, Serialize};

/// A staff role, granted on an agency subtree (or on the whole platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    OneStopOfficer,
    Specialist,
    Leader,
    Clerk,
    MeetingSecretary,
    StatisticsOfficer,
    ProvinceViewer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Administrator,
        Role::OneStopOfficer,
        Role::Specialist,
        Role::Leader,
        Role::Clerk,
        Role::MeetingSecretary,
        Role::StatisticsOfficer,
        Role::ProvinceViewer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::OneStopOfficer => "one_stop_officer",
            Role::Specialist => "specialist",
            Role::Leader => "leader",
            Role::Clerk => "clerk",
            Role::MeetingSecretary => "meeting_secretary",
            Role::StatisticsOfficer => "statistics_officer",
            Role::ProvinceViewer => "province_viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// A role on a scope: `None` is the whole platform, `Some(a)` is agency `a` and everything below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub agency: Option<AgencyId>,
}

/// Scopes an API key may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "agencies:read")]
    AgenciesRead,
    #[serde(rename = "agencies:write")]
    AgenciesWrite,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "calendar:read")]
    CalendarRead,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::AgenciesRead,
        Scope::AgenciesWrite,
        Scope::UsersRead,
        Scope::AuditRead,
        Scope::CalendarRead,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AgenciesRead => "agencies:read",
            Scope::AgenciesWrite => "agencies:write",
            Scope::UsersRead => "users:read",
            Scope::AuditRead => "audit:read",
            Scope::CalendarRead => "calendar:read",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    /// A citizen or business account: acts only on what it owns.
    Citizen {
        user: UserId,
    },
    /// A staff account with its grants.
    Staff {
        user: UserId,
        grants: Vec<Grant>,
    },
    /// Another system, through an API key with scopes, limited to an agency subtree if set.
    System {
        scopes: Vec<Scope>,
        agency: Option<AgencyId>,
    },
}

impl Actor {
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::Citizen { user } | Actor::Staff { user, .. } => Some(*user),
            _ => None,
        }
    }
    pub fn grants(&self) -> &[Grant] {
        match self {
            Actor::Staff { grants, .. } => grants,
            _ => &[],
        }
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.grants().iter().any(|g| g.role == role)
    }
}

/// Every action the platform authorizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the public agency tree.
    ViewAgencies,
    /// Create, change or delete an agency (target: the parent, or the agency itself).
    ManageAgency,
    /// Create a root agency (no parent): platform administrators only.
    ManageRootAgency,
    /// See staff accounts of an agency.
    ViewUsers,
    /// Create staff accounts and grant roles within an agency subtree.
    ManageUsers,
    /// Read one's own profile, sessions and data.
    ViewOwnAccount,
    /// Read another account's profile (target: that user).
    ViewAccount,
    /// Read the audit log.
    ViewAudit,
    /// Issue and revoke API keys.
    ManageApiKeys,
    /// Edit the working calendar (holidays and swaps).
    ManageCalendar,
    /// Read the working calendar and compute deadlines.
    ViewCalendar,
    /// One-stop desk work: receive, request supplements, refuse, return results.
    ReceiveDossier,
    /// Process a dossier assigned to the unit.
    ProcessDossier,
    /// Approve or sign for the agency.
    Approve,
    /// Register, number and send documents.
    RegisterDocument,
    /// Handle documents: draft outgoing ones, process incoming ones assigned to the unit.
    HandleDocument,
    /// Read documents, their registers, searches and figures.
    ViewDocuments,
    /// Read the content of secret documents (mật, tối mật, tuyệt mật) of the subtree; others
    /// see them in lists with the subject withheld, and only their drafter or lead person may
    /// open one.
    ViewSecretDocuments,
    /// Prepare meetings.
    ManageMeeting,
    /// Enter and submit indicator figures.
    EnterIndicators,
    /// See the province's dashboard.
    ViewDashboard,
    /// Read the public procedure catalogue.
    ViewProcedures,
    /// Act as the applicant of a dossier: submit online, answer a supplement request, withdraw,
    /// rate the handling, read one's own dossiers. The target is the applicant's account
    /// (`Target::Account`): only that citizen (or business) may.
    ActAsApplicant,
}

impl Action {
    pub const ALL: [Action; 23] = [
        Action::ViewAgencies,
        Action::ManageAgency,
        Action::ManageRootAgency,
        Action::ViewUsers,
        Action::ManageUsers,
        Action::ViewOwnAccount,
        Action::ViewAccount,
        Action::ViewAudit,
        Action::ManageApiKeys,
        Action::ManageCalendar,
        Action::ViewCalendar,
        Action::ReceiveDossier,
        Action::ProcessDossier,
        Action::Approve,
        Action::RegisterDocument,
        Action::HandleDocument,
        Action::ViewDocuments,
        Action::ViewSecretDocuments,
        Action::ManageMeeting,
        Action::EnterIndicators,
        Action::ViewDashboard,
        Action::ViewProcedures,
        Action::ActAsApplicant,
    ];

    /// Roles that may perform this action on their subtree.
    fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::ViewAgencies
            | Action::ViewCalendar
            | Action::ViewProcedures
            | Action::ViewOwnAccount
            | Action::ActAsApplicant => &[],
            Action::ManageAgency
            | Action::ManageRootAgency
            | Action::ManageUsers
            | Action::ViewAudit
            | Action::ManageApiKeys
            | Action::ManageCalendar => &[Administrator],
            Action::ViewUsers | Action::ViewAccount => &[Administrator, Leader],
            Action::ReceiveDossier => &[OneStopOfficer],
            Action::ProcessDossier => &[Specialist, Leader],
            Action::Approve => &[Leader],
            Action::RegisterDocument => &[Clerk],
            Action::HandleDocument => &[Specialist, Leader],
            Action::ViewDocuments => {
                &[Clerk, Specialist, Leader, StatisticsOfficer, ProvinceViewer]
            }
            Action::ViewSecretDocuments => &[Clerk, Leader],
            Action::ManageMeeting => &[MeetingSecretary],
            Action::EnterIndicators => &[StatisticsOfficer],
            Action::ViewDashboard => &[ProvinceViewer, Leader, Administrator],
        }
    }

    /// API-key scope that allows this action, if keys may do it at all.
    fn scope(self) -> Option<Scope> {
        match self {
            Action::ViewAgencies => Some(Scope::AgenciesRead),
            Action::ManageAgency => Some(Scope::AgenciesWrite),
            Action::ViewUsers | Action::ViewAccount => Some(Scope::UsersRead),
            Action::ViewAudit => Some(Scope::AuditRead),
            Action::ViewCalendar => Some(Scope::CalendarRead),
            _ => None,
        }
    }
}

/// What the action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// The platform as a whole (calendar, root agencies, keys).
    Platform,
    /// An agency, given by its path from the root (ancestors then itself).
    Agency(&'a [AgencyId]),
    /// An account: the user and, for staff, the path of the agency the account belongs to.
    Account {
        user: UserId,
        agency: Option<&'a [AgencyId]>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in: the page asks for a login.
    NeedLogin,
    /// Signed in but not allowed.
    Deny,
}

fn grant_covers(grant: &Grant, target: &Target<'_>) -> bool {
    match (grant.agency, target) {
        (None, _) => true,
        (Some(_), Target::Platform) => false,
        (Some(a), Target::Agency(path)) => path.contains(&a),
        (
            Some(a),
            Target::Account {
                agency: Some(path), ..
            },
        ) => path.contains(&a),
        (Some(_), Target::Account { agency: None, .. }) => false,
    }
}

/// The one policy function.
pub fn decide(actor: &Actor, action: Action, target: Target<'_>) -> Decision {
    // Public reads.
    if matches!(
        action,
        Action::ViewAgencies | Action::ViewCalendar | Action::ViewProcedures
    ) {
        return Decision::Allow;
    }
    match actor {
        Actor::Anonymous => Decision::NeedLogin,
        Actor::System { scopes, agency } => {
            let Some(needed) = action.scope() else {
                return Decision::Deny;
            };
            let in_scope = match agency {
                None => true,
                Some(a) => grant_covers(
                    &Grant {
                        role: Role::Administrator,
                        agency: Some(*a),
                    },
                    &target,
                ),
            };
            if scopes.contains(&needed) && in_scope {
                Decision::Allow
            } else {
                Decision::Deny
            }
        }
        Actor::Citizen { user } => match (action, target) {
            (Action::ViewOwnAccount, Target::Account { user: u, .. }) if u == *user => {
                Decision::Allow
            }
            (Action::ViewAccount, Target::Account { user: u, .. }) if u == *user => Decision::Allow,
            (Action::ActAsApplicant, Target::Account { user: u, .. }) if u == *user => {
                Decision::Allow
            }
            _ => Decision::Deny,
        },
        Actor::Staff { user, grants } => {
            if let (Action::ViewOwnAccount | Action::ViewAccount, Target::Account { user: u, .. }) =
                (action, target)
                && u == *user
            {
                return Decision::Allow;
            }
            if action == Action::ViewOwnAccount {
                return Decision::Deny;
            }
            // Root agencies, keys and the calendar belong to platform-wide administrators.
            let platform_only = matches!(
                action,
                Action::ManageRootAgency | Action::ManageApiKeys | Action::ManageCalendar
            );
            let allowed = grants.iter().any(|g| {
                action.roles().contains(&g.role)
                    && if platform_only {
                        g.agency.is_none()
                    } else {
                        grant_covers(g, &target)
                    }
            });
            if allowed {
                Decision::Allow
            } else {
                Decision::Deny
            }
        }
    }
}
