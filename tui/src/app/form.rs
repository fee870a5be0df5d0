//! Forms: fields with their text, cursor and error, and the field
//! indices of the finder and the booking form.

#[allow(unused_imports)]
use super::*;

/// One text field of a form, with its validation message.
#[derive(Clone, Debug)]
pub struct Field {
    /// Label.
    pub label: L,
    /// Current text.
    pub value: String,
    /// What is wrong with it, if anything.
    pub error: Option<crdt_model::agency::Text>,
    /// A short value (a number, a date, an hour) the first key typed
    /// replaces rather than extends; Backspace edits it instead.
    pub replace: bool,
}

impl Field {
    pub(crate) fn new(label: L, value: impl Into<String>) -> Self {
        Self {
            label,
            value: value.into(),
            error: None,
            replace: false,
        }
    }

    /// A field whose value the first key typed replaces (see [`Field::replace`]).
    pub(crate) fn short(label: L, value: impl Into<String>) -> Self {
        Self {
            replace: true,
            ..Self::new(label, value)
        }
    }
}

/// A form: fields and which one is being edited.
#[derive(Clone, Debug)]
pub struct Form {
    /// Fields in order.
    pub fields: Vec<Field>,
    /// The field being edited (`None`: not editing, screen keys work).
    pub focus: Option<usize>,
    /// The field typed into since the focus last moved: a short field not
    /// yet typed into is replaced by the first key.
    pub typed: Option<usize>,
}

impl Form {
    /// Value of field `i`, trimmed.
    pub fn value(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.value.trim())
    }

    /// Sets field `i`.
    pub fn set(&mut self, i: usize, v: impl Into<String>) {
        if let Some(f) = self.fields.get_mut(i) {
            f.value = v.into();
            f.error = None;
        }
        self.typed = None;
    }

    /// Whether any field has an error.
    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }
}

/// Field positions of the free-slot form.
pub mod find_field {
    /// People / units.
    pub const QUANTITY: usize = 0;
    /// City.
    pub const CITY: usize = 1;
    /// Kind.
    pub const KIND: usize = 2;
    /// Features.
    pub const FEATURES: usize = 3;
    /// Duration (`90`, `2h`, `2d`).
    pub const DURATION: usize = 4;
    /// Date (first day searched).
    pub const DATE: usize = 5;
    /// Days searched from the date.
    pub const DAYS: usize = 6;
    /// Earliest start.
    pub const FROM: usize = 7;
    /// Latest end.
    pub const TO: usize = 8;
}

/// Field positions of the booking form.
pub mod book_field {
    /// Resource id.
    pub const RESOURCE: usize = 0;
    /// Start.
    pub const START: usize = 1;
    /// End.
    pub const END: usize = 2;
    /// Quantity.
    pub const QUANTITY: usize = 3;
    /// Purpose.
    pub const PURPOSE: usize = 4;
    /// Contact.
    pub const CONTACT: usize = 5;
    /// Repeat: an RRULE (`FREQ=WEEKLY;BYDAY=MO;COUNT=10`), or empty.
    pub const REPEAT: usize = 6;
    /// Wait list: `y`/`是` joins the waiting list if it does not fit.
    pub const WAIT_LIST: usize = 7;
}
