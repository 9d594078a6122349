//! The workspace as a team over real HTTP (issue 19, DESIGN.md section 6,
//! "Teams"): roles against every team endpoint, viewers' pushes, removal,
//! invitations that expire, are revoked or die with a password change, and
//! the last admin who always stays.
#![cfg(feature = "ssr")]

mod common;

use common::http::{Client, TestServer, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

async fn push_as(client: &Client, client_id: Uuid, mutations: Value) -> (u16, Value) {
    client
        .post(
            "/api/sync/push",
            json!({"client_id": client_id, "mutations": mutations}),
        )
        .await
}

async fn team(client: &Client) -> Value {
    let (status, reply) = client.post("/api/team/members", json!({})).await;
    assert_eq!(status, 200, "{reply}");
    reply
}

async fn me(client: &Client) -> Value {
    let (status, reply) = client.post("/api/auth/me", json!({})).await;
    assert_eq!(status, 200, "{reply}");
    reply
}

async fn user_id(client: &Client) -> String {
    me(client).await["user_id"]
        .as_str()
        .expect("user id")
        .to_owned()
}

/// The ids of the workspace's pending invitations.
async fn pending(client: &Client) -> Vec<Value> {
    team(client).await["invitations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// An admin and a workspace with a member and a viewer in it.
async fn workspace_of_three(server: &TestServer) -> (Client, Client, Client) {
    let admin = server.member_of_new_workspace("ada@team.test").await;
    let member = server.invited(&admin, "member", "bob@team.test").await;
    let viewer = server.invited(&admin, "viewer", "vic@team.test").await;
    (admin, member, viewer)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_account_is_admin_and_each_invitation_grants_its_role() {
    let server = TestServer::start().await;
    let (admin, member, viewer) = workspace_of_three(&server).await;
    let admin_account = me(&admin).await;
    assert_eq!(admin_account["role"], "admin");
    assert_eq!(
        admin_account["display_name"], "ada@team.test",
        "an unnamed member is shown by their email"
    );
    assert_eq!(me(&member).await["role"], "member");
    assert_eq!(me(&viewer).await["role"], "viewer");

    let listed = team(&member).await;
    let members = listed["members"].as_array().expect("members");
    let roles: Vec<(&str, &str)> = members
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("ada@team.test", "admin"),
            ("bob@team.test", "member"),
            ("vic@team.test", "viewer")
        ]
    );
    for listed in members {
        assert!(listed["user_id"].is_string() && listed["display_name"].is_string());
        assert!(
            listed["last_seen"].is_string(),
            "every one of them used a session: {listed}"
        );
    }
    assert_eq!(listed["invitations"], json!([]), "both were used");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_role_may_do_exactly_what_it_should_on_every_team_endpoint() {
    let server = TestServer::start().await;
    let (admin, member, viewer) = workspace_of_three(&server).await;
    let stranger = server.client();
    // Whom the calls are about: a member each caller may try to change.
    let target = server.invited(&admin, "member", "tim@team.test").await;
    let target_id = user_id(&target).await;

    for (caller, refused) in [(&member, 403), (&viewer, 403), (&stranger, 401)] {
        let signed_out = refused == 401;
        admin.invitation("member").await;
        let invitation_id = pending(&admin).await[0]["id"].clone();
        for (path, body) in [
            ("/api/auth/invite", json!({"role": "member"})),
            (
                "/api/team/role",
                json!({"user_id": target_id, "role": "admin"}),
            ),
            ("/api/team/remove", json!({"user_id": target_id})),
            ("/api/team/revoke", json!({"invitation_id": invitation_id})),
        ] {
            let (status, reply) = caller.post(path, body).await;
            assert_eq!(status, refused, "{path}: {reply}");
        }
        let (status, _) = caller.post("/api/team/members", json!({})).await;
        assert_eq!(status, if signed_out { 401 } else { 200 });
        let (status, _) = caller
            .post("/api/team/display_name", json!({"display_name": "Me"}))
            .await;
        assert_eq!(status, if signed_out { 401 } else { 200 });
        assert_eq!(
            pending(&admin).await.len(),
            1,
            "the refused revocation left the invitation"
        );
        let (status, _) = admin
            .post("/api/team/revoke", json!({"invitation_id": invitation_id}))
            .await;
        assert_eq!(status, 200);
    }
    assert_eq!(me(&target).await["role"], "member", "nothing changed");

    // The admin may do all of it.
    let (status, invitation) = admin
        .post("/api/auth/invite", json!({"role": "viewer"}))
        .await;
    assert_eq!(status, 200, "{invitation}");
    assert!(invitation["token"].is_string() && invitation["expires_at"].is_string());
    assert_eq!(invitation["workspace_name"], "ada@team.test's team");
    let invitations = pending(&admin).await;
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations[0]["role"], "viewer");
    assert_eq!(invitations[0]["created_by"], json!(user_id(&admin).await));
    let (status, _) = admin
        .post(
            "/api/team/revoke",
            json!({"invitation_id": invitations[0]["id"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(pending(&admin).await, Vec::<Value>::new());

    for role in ["admin", "viewer", "member"] {
        let (status, reply) = admin
            .post(
                "/api/team/role",
                json!({"user_id": target_id, "role": role}),
            )
            .await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(
            me(&target).await["role"],
            role,
            "a role change applies to the member's next request"
        );
    }
    let (status, reply) = admin
        .post(
            "/api/team/role",
            json!({"user_id": target_id, "role": "owner"}),
        )
        .await;
    assert_eq!(status, 400, "an unknown role: {reply}");
    let (status, reply) = admin
        .post(
            "/api/team/role",
            json!({"user_id": Uuid::now_v7(), "role": "viewer"}),
        )
        .await;
    assert_eq!((status, &reply["Field"]["field"]), (400, &json!("user_id")));
    let (status, _) = admin
        .post("/api/team/remove", json!({"user_id": target_id}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = admin
        .post("/api/team/display_name", json!({"display_name": "Ada"}))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewers_push_of_upsert_delete_and_convert_changes_nothing() {
    let server = TestServer::start().await;
    let (admin, _member, viewer) = workspace_of_three(&server).await;
    let (acme, lead) = (Uuid::now_v7(), Uuid::now_v7());
    let (status, reply) = push_as(
        &admin,
        Uuid::now_v7(),
        json!([
            {"id": 1, "entity": "customer", "op": "upsert", "record_id": acme, "base_version": 0,
             "fields": {"name": "Acme", "kind": "company", "status": "Prospect"}},
            {"id": 2, "entity": "lead", "op": "upsert", "record_id": lead, "base_version": 0,
             "fields": {"person_name": "Jane Roe", "status": "New"}},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let before = admin.pull_all().await;
    assert_eq!(before.len(), 2);

    let (status, reply) = push_as(
        &viewer,
        Uuid::now_v7(),
        json!([
            {"id": 1, "entity": "customer", "op": "upsert", "record_id": acme, "base_version": 1,
             "fields": {"status": "Customer"}},
            {"id": 2, "entity": "customer", "op": "upsert", "record_id": Uuid::now_v7(),
             "base_version": 0, "fields": {"name": "Forged", "kind": "company", "status": "Prospect"}},
            {"id": 3, "entity": "customer", "op": "delete", "record_id": acme, "base_version": 1,
             "fields": {}},
            {"id": 4, "entity": "lead", "op": "convert", "record_id": lead, "base_version": 2,
             "fields": {"customer_id": Uuid::now_v7(), "contact_id": Uuid::now_v7()}},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let results = reply["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    for result in results {
        assert_eq!(result["status"], "rejected", "{result}");
        let message = result["error"]["message"].as_str().expect("a message");
        assert!(
            message.contains("viewers cannot change records"),
            "{message}"
        );
    }
    assert_eq!(admin.pull_all().await, before, "nothing changed");
    assert_eq!(
        viewer.pull_all().await,
        before,
        "and the viewer reads it all"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_member_ends_their_sessions_at_once_and_their_client_id_cannot_push() {
    let server = TestServer::start().await;
    let (admin, member, _viewer) = workspace_of_three(&server).await;
    let laptop = member;
    let tablet = server.client();
    assert_eq!(tablet.login("bob@team.test").await.0, 200);
    let bob = user_id(&laptop).await;
    let laptop_id = Uuid::now_v7();
    let acme = Uuid::now_v7();
    let customer = |id: u64, name: &str| {
        json!([{"id": id, "entity": "customer", "op": "upsert", "record_id": acme,
                "base_version": 0, "fields": {"name": name, "kind": "company", "status": "Prospect"}}])
    };
    let (status, reply) = push_as(&laptop, laptop_id, customer(1, "Acme")).await;
    assert_eq!(status, 200, "{reply}");
    let invitation = laptop
        .post("/api/auth/invite", json!({"role": "member"}))
        .await;
    assert_eq!(invitation.0, 403, "members do not invite");
    // Bob's invitation, made while he was an admin, dies with his removal.
    let (status, _) = admin
        .post("/api/team/role", json!({"user_id": bob, "role": "admin"}))
        .await;
    assert_eq!(status, 200);
    let bobs_invitation = laptop.invitation("member").await;
    let (status, _) = admin
        .post("/api/team/remove", json!({"user_id": bob}))
        .await;
    assert_eq!(status, 200);

    for device in [&laptop, &tablet] {
        let (status, reply) = device.post("/api/auth/me", json!({})).await;
        assert_eq!((status, &reply), (401, &json!("Removed")));
    }
    let (status, reply) = push_as(&laptop, laptop_id, customer(2, "Queued edit")).await;
    assert_eq!((status, reply), (401, json!("Removed")));
    let (status, reply) = laptop
        .post(
            "/api/sync/pull",
            json!({"client_id": laptop_id, "cursor": 0}),
        )
        .await;
    assert_eq!((status, reply), (401, json!("Removed")));
    let (status, reply) = server.client().login("bob@team.test").await;
    assert_eq!((status, reply), (401, json!("Removed")), "sign-in fails");
    let (status, reply) = server
        .client()
        .post(
            "/api/auth/login",
            json!({"email": "bob@team.test", "password": "not his password"}),
        )
        .await;
    assert_eq!(
        (status, reply),
        (401, json!("SignInFailed")),
        "a wrong password learns nothing"
    );
    // Nobody else can push with the removed member's device.
    let (status, _) = push_as(&admin, laptop_id, customer(2, "Hijack")).await;
    assert_eq!(status, 403);
    let (status, _) = server
        .client()
        .join(&bobs_invitation, "eve@team.test")
        .await;
    assert_eq!(status, 400, "the removed member's invitation is void");

    let rows = admin.pull_all().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["record"]["name"], "Acme", "his records stay");
    let emails: Vec<Value> = team(&admin).await["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["email"].clone())
        .collect();
    assert_eq!(emails, [json!("ada@team.test"), json!("vic@team.test")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_and_expired_invitations_fail_to_join() {
    let server = TestServer::start().await;
    let admin = server.member_of_new_workspace("ada@team.test").await;
    let revoked = admin.invitation("member").await;
    let revoked_id = pending(&admin).await[0]["id"].clone();
    let (status, _) = admin
        .post("/api/team/revoke", json!({"invitation_id": revoked_id}))
        .await;
    assert_eq!(status, 200);

    let expired = admin.invitation("viewer").await;
    let expired_id = pending(&admin).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    crate::on_test_db!(&server.pool, |pool| {
        sqlx::query("UPDATE invitations SET expires_at = $1 WHERE id = $2")
            .bind(&yesterday)
            .bind(&expired_id)
            .execute(pool)
            .await
            .expect("expire the invitation")
            .rows_affected()
    });
    assert_eq!(pending(&admin).await, Vec::<Value>::new());

    for (token, email) in [(&revoked, "rev@team.test"), (&expired, "exp@team.test")] {
        let joiner = server.client();
        let (status, reply) = joiner
            .post("/api/auth/invitation", json!({"token": token}))
            .await;
        assert_eq!(status, 400, "{reply}");
        let (status, reply) = joiner.join(token, email).await;
        assert_eq!(status, 400, "{reply}");
        assert_eq!(reply["Field"]["field"], "token");
    }
    let (status, reply) = admin
        .post("/api/team/revoke", json!({"invitation_id": Uuid::now_v7()}))
        .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["Field"]["field"], "invitation_id");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let server = TestServer::start().await;
    let (ada, bob, _viewer) = workspace_of_three(&server).await;
    let (ada_id, bob_id) = (user_id(&ada).await, user_id(&bob).await);
    for (path, body) in [
        (
            "/api/team/role",
            json!({"user_id": ada_id, "role": "member"}),
        ),
        (
            "/api/team/role",
            json!({"user_id": ada_id, "role": "viewer"}),
        ),
        ("/api/team/remove", json!({"user_id": ada_id})),
    ] {
        let (status, reply) = ada.post(path, body).await;
        assert_eq!(status, 409, "{path}: {reply}");
        assert!(reply["Conflict"]
            .as_str()
            .is_some_and(|message| message.contains("at least one admin")));
    }
    let (status, _) = ada
        .post(
            "/api/team/role",
            json!({"user_id": bob_id, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = bob
        .post(
            "/api/team/role",
            json!({"user_id": ada_id, "role": "member"}),
        )
        .await;
    assert_eq!(status, 200, "with two admins, one may go");
    let (status, _) = bob
        .post(
            "/api/team/role",
            json!({"user_id": bob_id, "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 409, "now Bob is the last admin");
    let (status, _) = bob
        .post("/api/team/remove", json!({"user_id": bob_id}))
        .await;
    assert_eq!(status, 409);
    let (status, _) = ada
        .post("/api/team/remove", json!({"user_id": bob_id}))
        .await;
    assert_eq!(status, 403, "Ada is a member now");
}

#[tokio::test(flavor = "multi_thread")]
async fn invitations_made_from_a_session_are_void_after_that_accounts_password_change() {
    let server = TestServer::start().await;
    let admin = server.member_of_new_workspace("ada@team.test").await;
    let stolen = server.client();
    assert_eq!(stolen.login("ada@team.test").await.0, 200);
    let thiefs = stolen.invitation("admin").await;
    let (status, _) = admin
        .post(
            "/api/auth/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(pending(&admin).await, Vec::<Value>::new());
    let (status, reply) = server.client().join(&thiefs, "mallory@evil.test").await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["Field"]["field"], "token");
    // Invitations made after the change work.
    let fresh = admin.invitation("member").await;
    assert_eq!(server.client().join(&fresh, "bob@team.test").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn display_names_are_trimmed_and_checked_naming_the_field() {
    let server = TestServer::start().await;
    let (admin, member, _viewer) = workspace_of_three(&server).await;
    let (status, reply) = member
        .post(
            "/api/team/display_name",
            json!({"display_name": "  Bob Builder  "}),
        )
        .await;
    assert_eq!((status, reply), (200, json!("Bob Builder")));
    assert_eq!(me(&member).await["display_name"], "Bob Builder");
    let listed = team(&admin).await;
    assert_eq!(listed["members"][1]["display_name"], "Bob Builder");
    assert_eq!(listed["members"][1]["email"], "bob@team.test");

    for bad in ["", "    ", &"x".repeat(81)] {
        let (status, reply) = member
            .post("/api/team/display_name", json!({"display_name": bad}))
            .await;
        assert_eq!(status, 400, "{bad:?}: {reply}");
        assert_eq!(reply["Field"]["field"], "display_name");
    }
    assert_eq!(
        me(&member).await["display_name"],
        "Bob Builder",
        "a refused name changes nothing"
    );
    let (status, _) = member
        .post(
            "/api/team/display_name",
            json!({"display_name": "é".repeat(80)}),
        )
        .await;
    assert_eq!(status, 200, "80 characters, whatever their bytes");
}
