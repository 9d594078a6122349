//! The HTML shell and the routes.

use crate::ui::{CustomerListPage, CustomerPage, Layout, NewCustomerPage, NotFound};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f4e79"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
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
                </Routes>
            </Layout>
        </Router>
    }
}
