"""directory's POST/GET /graphql: the same users as REST, consistent connections, GraphQL errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.realtime.helpers import serve
from tests.support.servers import ServerProcess

GET_USER = """
query GetUser($id: ID!) {
  user(id: $id) {
    id
    username
    email
    createdAt
    updatedAt
    posts(first: 5) {
      totalCount
      edges { cursor node { id title views author { id } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


@pytest.fixture(scope="module")
def directory() -> Iterator[tuple[ServerProcess, httpx.Client]]:
    with serve("directory", "--rate-limits", "off") as server:
        token = httpx.post(f"{server.url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"})
        assert token.status_code == 200, token.text
        client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        yield server, client


def test_user_is_the_rest_user_and_posts_are_a_consistent_connection(directory: tuple[ServerProcess, httpx.Client]) -> None:
    _, client = directory
    rest_user = client.get("/api/v1/users", params={"per_page": 3}).json()["data"][2]
    first = client.post("/graphql", json={"query": GET_USER, "variables": {"id": rest_user["id"]}, "operationName": "GetUser"})
    assert first.status_code == 200, first.text
    user = first.json()["data"]["user"]
    assert (user["id"], user["username"], user["email"]) == (rest_user["id"], rest_user["username"], rest_user["email"])
    assert (user["createdAt"], user["updatedAt"]) == (rest_user["created_at"], rest_user["updated_at"])
    posts = user["posts"]
    assert len(posts["edges"]) == min(5, posts["totalCount"])
    assert all(edge["node"]["author"]["id"] == rest_user["id"] for edge in posts["edges"])
    assert posts["pageInfo"]["hasNextPage"] == (posts["totalCount"] > 5)
    again = client.post("/graphql", json={"query": GET_USER, "variables": {"id": rest_user["id"]}}).json()
    assert again["data"]["user"]["posts"] == posts
    # paging on from the end cursor continues where the first page stopped
    rest = client.post("/graphql", json={
        "query": "query($id: ID!, $after: String) { user(id: $id) { posts(first: 100, after: $after) { edges { node { id } } pageInfo { hasPreviousPage } } } }",
        "variables": {"id": rest_user["id"], "after": posts["pageInfo"]["endCursor"]}}).json()["data"]["user"]["posts"]
    seen = [edge["node"]["id"] for edge in posts["edges"]] + [edge["node"]["id"] for edge in rest["edges"]]
    assert len(seen) == len(set(seen)) == posts["totalCount"]
    assert rest["pageInfo"]["hasPreviousPage"] is True


def test_users_connection_and_get_queries(directory: tuple[ServerProcess, httpx.Client]) -> None:
    _, client = directory
    rest = client.get("/api/v1/users", params={"per_page": 4}).json()
    query = "{ users(first: 4) { totalCount edges { node { id username } } } }"
    answer = client.get("/graphql", params={"query": query})
    assert answer.status_code == 200, answer.text
    users = answer.json()["data"]["users"]
    assert users["totalCount"] == rest["meta"]["total_count"]
    assert [edge["node"]["id"] for edge in users["edges"]] == [u["id"] for u in rest["data"]]
    by_variables = client.get("/graphql", params={"query": "query($id: ID!) { user(id: $id) { username } }",
                                                  "variables": f'{{"id": "{rest["data"][0]["id"]}"}}'})
    assert by_variables.json() == {"data": {"user": {"username": rest["data"][0]["username"]}}}


def test_errors_come_in_the_graphql_format(directory: tuple[ServerProcess, httpx.Client]) -> None:
    server, client = directory
    missing = client.post("/graphql", json={"query": '{ user(id: "usr_nobody") { id } }'})
    assert missing.json() == {"data": {"user": None}}
    syntax = client.post("/graphql", json={"query": "{ user(id: "})
    assert syntax.status_code == 200
    assert syntax.json()["errors"][0]["message"].startswith("Syntax Error")
    assert "data" not in syntax.json()
    unknown = client.post("/graphql", json={"query": "{ user(id: \"x\") { password } }"}).json()
    assert "password" in unknown["errors"][0]["message"] and unknown["errors"][0]["locations"]
    bad_variable = client.post("/graphql", json={"query": "query($id: ID!) { user(id: $id) { id } }", "variables": {}}).json()
    assert "$id" in bad_variable["errors"][0]["message"]
    no_query = client.post("/graphql", json={"variables": {}})
    assert no_query.status_code == 400
    assert no_query.json()["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
    anonymous = httpx.post(f"{server.url}/graphql", json={"query": "{ users { totalCount } }"})
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
    capped = client.post("/graphql", json={"query": "{ users(first: 1000) { totalCount edges { cursor } } }"}).json()
    assert "errors" not in capped
    assert len(capped["data"]["users"]["edges"]) == min(100, capped["data"]["users"]["totalCount"])
    stranger = client.post("/graphql", json={"query": '{ users(first: 3, after: "bm90LWEtY3Vyc29y") { edges { cursor } pageInfo { hasNextPage } } }'}).json()
    assert stranger["data"]["users"] == {"edges": [], "pageInfo": {"hasNextPage": False}}
