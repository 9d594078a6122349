//! The one place in the UI that knows whether it runs in the browser or on
//! the server. Pages call these and stay the same in both builds: the server
//! render remembers nothing, signs nobody in and drags nothing.

use crate::crm::Crm;
use crate::domain::Account;

/// A choice this device remembers across visits (a list's last filter).
pub fn remembered(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage};
        LocalStorage::get(key).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

/// Remembers a choice on this device, or forgets it (`None`).
pub fn remember(key: &str, value: Option<&str>) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage};
        match value {
            // A browser refusing storage only loses the convenience.
            Some(value) => drop(LocalStorage::set(key, value)),
            None => LocalStorage::delete(key),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

/// What was typed into the server-rendered field `id` before the app took
/// over, and whether it had focus (see `client::mount_over_server_page`).
pub fn typed_before_start(id: &str) -> (Option<String>, bool) {
    #[cfg(feature = "hydrate")]
    return crate::client::typed_before_start(id);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        (None, false)
    }
}

/// Records a sign-in on this browser and opens the app afresh, so the local
/// store and sync start for this account; the error says why it could not.
pub async fn enter_app(account: Account) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        crate::client::signed_in(&account).await?;
        // Signing in opens the member's home page.
        let _ = leptos::prelude::window().location().set_href("/home");
        Ok(())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = account;
        Err(NOT_IN_BROWSER.to_owned())
    }
}

/// Signs out, erases this user's records from the browser and opens the
/// sign-in page; the error says why the erase failed.
pub async fn sign_out(crm: Crm) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        crate::client::sign_out(crm).await?;
        crate::client::leave_for_sign_in();
        Ok(())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = crm;
        Err(NOT_IN_BROWSER.to_owned())
    }
}

/// What an action that needs the browser says when the page is not running yet.
#[cfg(not(feature = "hydrate"))]
const NOT_IN_BROWSER: &str = "The page is still loading; try again in a moment.";

/// Puts `text` on a drag: Firefox starts a drag only when it carries data.
pub fn carry_on_drag(event: &leptos::ev::DragEvent, text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(transfer) = event.data_transfer() {
        let _ = transfer.set_data("text/plain", text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (event, text);
}

/// Answers the request with 404 when the server renders a page it does not know.
pub fn respond_not_found() {
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

/// Moves focus to the first element matching `selector` once the browser
/// has drawn the change that made it: an opened dialog's first button, or
/// the button that opened a form, back when it closes.
pub fn focus_soon(selector: String) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::request_animation_frame(move || {
        use leptos::wasm_bindgen::JsCast;
        let element = leptos::prelude::document()
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|element| element.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
}

/// Where a list's rows are, for drawing only those in view: the height of
/// one drawn row (when one is drawn), the top of the rows' container
/// relative to the viewport, and the viewport's height.
pub struct RowsInViewport {
    pub row_height: Option<f64>,
    pub top: f64,
    pub view_height: f64,
}

/// Measures `rows` (a list's `tbody`) and its first row matching `row_selector`.
pub fn measure_rows(
    rows: &leptos::web_sys::HtmlTableSectionElement,
    row_selector: &str,
) -> Option<RowsInViewport> {
    #[cfg(feature = "hydrate")]
    {
        let row_height = rows
            .query_selector(row_selector)
            .ok()
            .flatten()
            .map(|row| row.get_bounding_client_rect().height())
            .filter(|height| *height > 0.0);
        let view_height = leptos::prelude::window()
            .inner_height()
            .ok()
            .and_then(|height| height.as_f64())
            .unwrap_or(1000.0);
        Some(RowsInViewport {
            row_height,
            top: rows.get_bounding_client_rect().top(),
            view_height,
        })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (rows, row_selector);
        None
    }
}

/// Offers `bytes` to the user as a downloaded file called `file_name`.
pub fn download(file_name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let failed = |_| "The browser refused to save the file.".to_owned();
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
            .map_err(failed)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
        let link = leptos::prelude::document()
            .create_element("a")
            .map_err(failed)?
            .unchecked_into::<web_sys::HtmlAnchorElement>();
        link.set_href(&url);
        link.set_download(file_name);
        link.click();
        // The download has started from the URL; it is no longer needed.
        let _ = web_sys::Url::revoke_object_url(&url);
        Ok(())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (file_name, mime, bytes);
        Err("The page is still loading; try again in a moment.".to_owned())
    }
}

/// The bytes of the file chosen in a file input, refused past `max_bytes`
/// before anything is read.
pub async fn read_chosen_file(
    input: &leptos::web_sys::HtmlInputElement,
    max_bytes: usize,
) -> Result<(String, Vec<u8>), String> {
    #[cfg(feature = "hydrate")]
    {
        let file = input
            .files()
            .and_then(|files| files.get(0))
            .ok_or_else(|| "Choose a file first.".to_owned())?;
        let size = file.size() as usize;
        if size > max_bytes {
            return Err(crate::domain::FileError::TooLarge { bytes: size }.to_string());
        }
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
            .await
            .map_err(|_| "The browser could not read this file.".to_owned())?;
        Ok((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (input, max_bytes);
        Err("The page is still loading; try again in a moment.".to_owned())
    }
}

/// Lets the browser paint and handle input before long work goes on.
pub async fn yield_to_page() {
    #[cfg(feature = "hydrate")]
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Windows-1252 decoded by the browser's own WHATWG decoder (see
/// `domain::tabular`); `None` outside the browser.
pub fn windows_1252(bytes: &[u8]) -> Option<String> {
    #[cfg(feature = "hydrate")]
    return web_sys::TextDecoder::new_with_label("windows-1252")
        .and_then(|decoder| decoder.decode_with_u8_array(bytes))
        .ok();
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = bytes;
        None
    }
}

/// Runs `then` after `seconds`, in the browser (a notice hiding itself).
pub fn after_seconds(seconds: u32, then: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::set_timeout(then, std::time::Duration::from_secs(u64::from(seconds)));
    #[cfg(not(feature = "hydrate"))]
    let _ = (seconds, then);
}

/// Whether a key press asks to undo: Ctrl+Z or Cmd+Z, without Shift
/// (redo), while focus is not in a field where it undoes typing.
pub fn is_undo_key(event: &leptos::ev::KeyboardEvent) -> bool {
    let chord = (event.ctrl_key() || event.meta_key())
        && !event.shift_key()
        && !event.alt_key()
        && event.key().eq_ignore_ascii_case("z");
    chord && !typing_in_a_field(event)
}

/// Whether a key press goes to a text field, a menu or editable text.
fn typing_in_a_field(event: &leptos::ev::KeyboardEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(element) = event
            .target()
            .and_then(|target| target.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        else {
            return false;
        };
        matches!(
            element.tag_name().to_ascii_lowercase().as_str(),
            "input" | "textarea" | "select"
        ) || element.is_content_editable()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = event;
        false
    }
}
