//! What a viewer does not see: every control that changes a record sits
//! inside [`WhenCanEdit`], so the role decides in one place.

use crate::crm::Crm;
use leptos::prelude::*;

/// Shows its children only while the signed-in member's role may change
/// records. A viewer sees the records and none of the buttons, offline
/// too; the server refuses a viewer's push whatever the page shows.
#[component]
pub fn WhenCanEdit(children: ChildrenFn) -> impl IntoView {
    let crm = expect_context::<Crm>();
    view! { <Show when=move || crm.can_edit()>{children()}</Show> }
}
