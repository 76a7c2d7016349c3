//! Id newtypes. Ids are 64-bit time-ordered snowflakes; on the wire they are
//! JSON *strings* because JavaScript numbers lose precision past 2^53.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The reason an id string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId;

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ids are positive decimal integers written as strings")
    }
}

impl std::error::Error for InvalidId {}

fn parse_id(s: &str) -> Result<i64, InvalidId> {
    // Reject signs, whitespace and leading '+' that `i64::from_str` would accept.
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidId);
    }
    match s.parse::<i64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(InvalidId),
    }
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                parse_id(s).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                raw.parse().map_err(de::Error::custom)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some("^[1-9][0-9]{0,18}$"))
                    .description(Some("Snowflake id as a decimal string"))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

define_id!(
    /// A user account.
    UserId
);
define_id!(
    /// A workspace (team).
    WorkspaceId
);
define_id!(
    /// A channel: public, private, 1:1 DM or group DM.
    ChannelId
);
define_id!(
    /// A message (thread replies included).
    MessageId
);
define_id!(
    /// A workspace invite link.
    InviteId
);
define_id!(
    /// An uploaded file (attachment or avatar).
    FileId
);
define_id!(
    /// A call (one per conversation at a time).
    CallId
);
define_id!(
    /// One connection taking part in a call.
    ParticipantId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_strings() {
        let id = MessageId(9_007_199_254_740_993);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"9007199254740993\"");
        assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), id);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "0",
            "-1",
            "+5",
            " 5",
            "abc",
            "99999999999999999999",
            "1.0",
        ] {
            assert!(bad.parse::<UserId>().is_err(), "{bad:?} accepted");
        }
        assert!(
            serde_json::from_str::<UserId>("12").is_err(),
            "numbers must be strings"
        );
    }
}
