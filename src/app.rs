//! The HTML shell and the routes.

use crate::ui::{
    AccountPage, ContactImportPage, CustomerImportPage, CustomerListPage, CustomerPage,
    DuplicatesPage, HomePage, JoinPage, Layout, LeadImportPage, LeadListPage, LeadPage, LoginPage,
    NewCustomerPage, NewLeadPage, NotFound, OpportunityPage, PageCodeMissing, PipelinePage,
    ShellPage, SignupPage, TasksPage, TrashPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, LazyRoute};

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
///
/// The customer list, where the app opens, is in the main bundle; every
/// other page is split into its own piece (see [`split_routes`]).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let crm = crate::crm::Crm::new();
    provide_context(crm);
    #[cfg(feature = "hydrate")]
    crate::client::start(crm, preload_pages);

    view! {
        <Title text="Clientele"/>
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=CustomerListPage/>
                    <Route path=path!("/customers/new") view={Lazy::<NewCustomerPageRoute>::new()}/>
                    <Route path=path!("/customers/import") view={Lazy::<CustomerImportPageRoute>::new()}/>
                    <Route path=path!("/customers/:id") view={Lazy::<CustomerPageRoute>::new()}/>
                    <Route path=path!("/contacts/import") view={Lazy::<ContactImportPageRoute>::new()}/>
                    <Route path=path!("/leads") view={Lazy::<LeadListPageRoute>::new()}/>
                    <Route path=path!("/leads/new") view={Lazy::<NewLeadPageRoute>::new()}/>
                    <Route path=path!("/leads/import") view={Lazy::<LeadImportPageRoute>::new()}/>
                    <Route path=path!("/leads/:id") view={Lazy::<LeadPageRoute>::new()}/>
                    <Route path=path!("/pipeline") view={Lazy::<PipelinePageRoute>::new()}/>
                    <Route path=path!("/opportunities/:id") view={Lazy::<OpportunityPageRoute>::new()}/>
                    <Route path=path!("/tasks") view={Lazy::<TasksPageRoute>::new()}/>
                    <Route path=path!("/home") view={Lazy::<HomePageRoute>::new()}/>
                    <Route path=path!("/duplicates") view={Lazy::<DuplicatesPageRoute>::new()}/>
                    <Route path=path!("/trash") view={Lazy::<TrashPageRoute>::new()}/>
                    <Route path=path!("/login") view={Lazy::<LoginPageRoute>::new()}/>
                    <Route path=path!("/signup") view={Lazy::<SignupPageRoute>::new()}/>
                    <Route path=path!("/join/:token") view={Lazy::<JoinPageRoute>::new()}/>
                    <Route path=path!("/account") view={Lazy::<AccountPageRoute>::new()}/>
                    <Route path=path!("/shell") view=ShellPage/>
                </Routes>
            </Layout>
        </Router>
    }
}

/// Declares routes whose pages are split off the main bundle: the browser
/// fetches a page's code on first use (`cargo leptos build --split`), so the
/// code needed to open the app, which every visit downloads and compiles
/// first, stays small. [`preload_pages`] fetches them all once the customer
/// list is up, with any split view outside the pages (named after `also
/// preloading`), so every page also opens offline.
macro_rules! split_routes {
    (
        pages { $($route:ident: $page:ident in $piece:ident, preloaded by $preload:ident;)* }
        also preloading $($other:path),*;
    ) => {
        $(
            struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                async fn view(_route: Self) -> AnyView {
                    $piece().await.unwrap_or_else(PageCodeMissing::into_view)
                }
            }

            #[leptos::wasm_split::wasm_split(
                $piece,
                fallible,
                wasm_split_path = ::leptos::wasm_split,
                preload($preload)
            )]
            fn $piece() -> Result<AnyView, PageCodeMissing> {
                Ok(view! { <$page/> }.into_any())
            }
        )*

        /// Loads the code of every split page and view, so that each opens
        /// offline later; fails if any piece could not be fetched.
        #[cfg(feature = "hydrate")]
        pub async fn preload_pages() -> Result<(), PageCodeMissing> {
            let loads: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = _>>>> =
                vec![$(Box::pin($preload()),)* $(Box::pin($other()),)*];
            for loaded in futures::future::join_all(loads).await {
                loaded?;
            }
            Ok(())
        }
    };
}

split_routes! {
    pages {
        NewCustomerPageRoute: NewCustomerPage in new_customer_page, preloaded by preload_new_customer_page;
        CustomerPageRoute: CustomerPage in customer_page, preloaded by preload_customer_page;
        LeadListPageRoute: LeadListPage in lead_list_page, preloaded by preload_lead_list_page;
        NewLeadPageRoute: NewLeadPage in new_lead_page, preloaded by preload_new_lead_page;
        LeadPageRoute: LeadPage in lead_page, preloaded by preload_lead_page;
        PipelinePageRoute: PipelinePage in pipeline_page, preloaded by preload_pipeline_page;
        OpportunityPageRoute: OpportunityPage in opportunity_page, preloaded by preload_opportunity_page;
        TasksPageRoute: TasksPage in tasks_page, preloaded by preload_tasks_page;
        HomePageRoute: HomePage in home_page, preloaded by preload_home_page;
        DuplicatesPageRoute: DuplicatesPage in duplicates_page, preloaded by preload_duplicates_page;
        TrashPageRoute: TrashPage in trash_page, preloaded by preload_trash_page;
        CustomerImportPageRoute: CustomerImportPage in customer_import_page, preloaded by preload_customer_import_page;
        LeadImportPageRoute: LeadImportPage in lead_import_page, preloaded by preload_lead_import_page;
        ContactImportPageRoute: ContactImportPage in contact_import_page, preloaded by preload_contact_import_page;
        LoginPageRoute: LoginPage in login_page, preloaded by preload_login_page;
        SignupPageRoute: SignupPage in signup_page, preloaded by preload_signup_page;
        JoinPageRoute: JoinPage in join_page, preloaded by preload_join_page;
        AccountPageRoute: AccountPage in account_page, preloaded by preload_account_page;
    }
    also preloading crate::ui::preload_fix_form;
}
