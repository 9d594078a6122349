//! The Undo notice: after every save, delete, restore, merge and import
//! it names what was done and offers "Undo" for a while; Ctrl+Z (Cmd+Z)
//! does the same while focus is not in a text field.

use crate::crm::Crm;
use crate::domain::Notice;
use crate::ui::platform::{after_seconds, is_undo_key};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How long a notice stays, in seconds.
const NOTICE_SECONDS: u32 = 15;

/// The notice at the foot of every page; empty (and silent) until an
/// action is done. A live region, so screen readers hear each notice.
#[component]
pub fn UndoNotice() -> impl IntoView {
    let crm = expect_context::<Crm>();
    Effect::new(move |_| {
        if let Some((number, _)) = crm.notice.get() {
            after_seconds(NOTICE_SECONDS, move || crm.hide_notice(number));
        }
    });
    let undo = move || {
        spawn_local(async move {
            // A refusal or a failure is said in the notice itself.
            let _ = crm.undo_last().await;
        });
    };
    let offering = move || {
        crm.notice
            .with_untracked(|shown| matches!(shown, Some((_, Notice::Done(_)))))
    };
    let keys = window_event_listener(leptos::ev::keydown, move |event| {
        if is_undo_key(&event) && offering() {
            event.prevent_default();
            undo();
        }
    });
    on_cleanup(move || keys.remove());
    view! {
        <div class="undo-notice" role="status" data-testid="undo-notice">
            {move || match crm.notice.get().map(|(_, notice)| notice) {
                None => ().into_any(),
                Some(Notice::Done(action)) => view! {
                    <p>
                        <span data-testid="undo-label">{action.label}</span>
                        <button class="link" data-testid="undo" on:click=move |_| undo()>
                            "Undo"
                        </button>
                    </p>
                }
                .into_any(),
                Some(Notice::Undone(said) | Notice::Told(said)) => view! { <p>{said}</p> }.into_any(),
                Some(Notice::Refused(said)) => {
                    view! { <p class="refused" data-testid="undo-refused">{said}</p> }.into_any()
                }
            }}
        </div>
    }
}
