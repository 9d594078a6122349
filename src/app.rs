//! The HTML shell and the routes.

use crate::ui::{
    AccountPage, CustomerListPage, CustomerPage, JoinPage, Layout, LeadListPage, LeadPage,
    LoginPage, NewCustomerPage, NewLeadPage, NotFound, OpportunityPage, PipelinePage, ShellPage,
    SignupPage, TasksPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// Name of the meta tag that records which path the server rendered: it
/// tells the offline shell (rendered for `/shell`) from a page rendered for
/// its own URL, for whoever needs to know which one a browser is showing.
const RENDERED_PATH_META: &str = "rendered-path";

/// The document the server renders around the app.
///
/// The service worker answers offline navigations with the page rendered
/// for `/shell`; the browser replaces any rendered page with the app, which
/// routes by the URL it is at, so the shell serves every path.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let rendered_path = rendered_path();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f4e79"/>
                <meta name=RENDERED_PATH_META content=rendered_path/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="stylesheet" id="leptos" href="/pkg/clientele.css"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[cfg(feature = "ssr")]
fn rendered_path() -> String {
    use_context::<axum::http::request::Parts>()
        .map(|parts| parts.uri.path().to_owned())
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn rendered_path() -> String {
    String::new()
}

/// The application: local data context, layout and pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let crm = crate::ui::Crm::new();
    provide_context(crm);
    #[cfg(feature = "hydrate")]
    crate::client::start(crm);

    view! {
        <Title text="Clientele"/>
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=CustomerListPage/>
                    <Route path=path!("/customers/new") view=NewCustomerPage/>
                    <Route path=path!("/customers/:id") view=CustomerPage/>
                    <Route path=path!("/leads") view=LeadListPage/>
                    <Route path=path!("/leads/new") view=NewLeadPage/>
                    <Route path=path!("/leads/:id") view=LeadPage/>
                    <Route path=path!("/pipeline") view=PipelinePage/>
                    <Route path=path!("/opportunities/:id") view=OpportunityPage/>
                    <Route path=path!("/tasks") view=TasksPage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/signup") view=SignupPage/>
                    <Route path=path!("/join/:token") view=JoinPage/>
                    <Route path=path!("/account") view=AccountPage/>
                    <Route path=path!("/shell") view=ShellPage/>
                </Routes>
            </Layout>
        </Router>
    }
}
