"""Fixtures: committed, reproducible, valid against the contracts, and consistent with each other."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_server.auth import Authenticator
from mock_server.fixtures import load_fixtures
from mock_server.fixtures.build import build
from mock_server.fixtures.recipe import RecipeError, load_recipe
from mock_server.state.store import Store

ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted((ROOT / "fixtures").glob("*/recipe.yaml"))
APIS = [p.parent.name for p in RECIPES]


def contract(api: str) -> dict:
    with open(ROOT / "specs" / api / "openapi.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def validator(ref: str, root: dict) -> Draft202012Validator:
    registry = Registry().with_resource("urn:t", Resource.from_contents(root, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": "urn:t" + ref}, registry=registry, format_checker=FormatChecker())


def ids(records: list[dict], field: str = "id") -> set:
    return {r[field] for r in records}


def test_the_committed_fixtures_are_what_the_generator_makes(tmp_path):
    # a separate process with its own hash seed: generation must not depend on either
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    command = [sys.executable, "-m", "mock_server.fixtures"]
    from mock_server.fixtures.__main__ import STAMP, generator_stamp

    if (ROOT / "fixtures" / STAMP).read_text(encoding="utf-8") == generator_stamp():
        result = subprocess.run([*command, "--check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return
    # another Faker than the one that made the committed files: two runs must still agree
    outputs = []
    for run in ("first", "second"):
        copy = tmp_path / run
        for recipe in RECIPES:
            (copy / recipe.parent.name).mkdir(parents=True)
            (copy / recipe.parent.name / "recipe.yaml").write_bytes(recipe.read_bytes())
        result = subprocess.run([*command, "--write"], cwd=ROOT, env={**env, "APITWIN_FIXTURES": str(copy)},
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        outputs.append({p.relative_to(copy): p.read_text() for p in sorted(copy.rglob("*.json"))})
    assert outputs[0] == outputs[1] and outputs[0]


@pytest.mark.parametrize("api", APIS)
def test_every_record_is_valid_against_its_contract(api):
    document = contract(api)
    recipe = load_recipe(ROOT / "fixtures" / api / "recipe.yaml")
    fixtures = load_fixtures(api)
    assert set(fixtures) == {c.name for c in recipe.collections}
    for collection in recipe.collections:
        records = fixtures[collection.name]
        assert len(records) == collection.count >= 3
        check = validator(collection.schema, document)
        for record in records:
            assert not [e.message for e in check.iter_errors(record)], (collection.name, record)
        for field in collection.unique:
            assert len(ids(records, field)) == len(records), (collection.name, field)


@pytest.mark.parametrize("api", APIS)
def test_the_demo_accounts_are_in_the_fixtures_and_log_in(api):
    document = contract(api)
    demo = document["x-apitwin"]["auth"]["users"]
    store = Store()
    store.reset(load_fixtures(api))
    auth = Authenticator(document, store, seed=0)
    users = {str(r["id"]): r for r in store.list(auth.config.users_collection)}
    login = next((op for item in document["paths"].values() for op in item.values()
                  if isinstance(op, dict) and op.get("x-apitwin-auth") == "login"), None)
    for user in demo:
        if "users" in load_fixtures(api):
            stored = next(r for r in load_fixtures(api)["users"] if str(r["id"]) == str(user["id"]))
            assert users[str(user["id"])] == stored  # seeding keeps the fixture record
        if login is not None and user.get("password") and not user.get("mfa_code"):
            body = {"username": user["username"], "email": user.get("email"), "password": user["password"]}
            status, reply, _ = auth.perform("login", login, body, None, {})
            assert status == 200 and reply["access_token"]


def test_messages_and_groups_refer_to_real_users():
    fixtures = load_fixtures("messaging")
    users, groups = ids(fixtures["users"]), ids(fixtures["groups"])
    assert len(users) >= 24 and len(fixtures["messages"]) >= 100
    direct = [m for m in fixtures["messages"] if "receiver_id" in m]
    in_groups = [m for m in fixtures["messages"] if "group_id" in m]
    assert direct and in_groups
    for message in fixtures["messages"]:
        assert message["sender_id"] in users
        assert set(message.get("metadata", {}).get("mentions", [])) <= users
    for message in direct:
        assert message["receiver_id"] in users and message["receiver_id"] != message["sender_id"]
        pair = {(m["sender_id"], m["receiver_id"]) for m in direct if m["conversation_id"] == message["conversation_id"]}
        assert {frozenset(p) for p in pair} == {frozenset((message["sender_id"], message["receiver_id"]))}
    for message in in_groups:
        assert message["group_id"] in groups and message["conversation_id"] == message["group_id"]
    for group in fixtures["groups"]:
        members = [m["user_id"] for m in group["members"]]
        assert group["owner_id"] in users and set(members) <= users and len(members) == len(set(members))
        roles = [m["role"] for m in group["members"]]
        assert members[0] == group["owner_id"] and roles[0] == "owner" and "owner" not in roles[1:]


def test_enterprise_collections_hold_believable_records_with_real_references():
    fixtures = load_fixtures("enterprise")
    assert {"products", "orders", "customers"} <= set(fixtures)
    for name, records in fixtures.items():
        assert {r["collection"] for r in records} == {name}
        assert all(r["created_at"] <= r["updated_at"] for r in records)
        assert all("ttl" not in r and "expires_at" not in r for r in records)  # fixtures never expire
    products = fixtures["products"]
    assert all({"name", "price", "category", "in_stock"} <= set(p["data"]) for p in products)
    assert len({p["data"]["category"] for p in products}) > 3
    for order in fixtures["orders"]:
        assert order["data"]["customer_id"] in ids(fixtures["customers"])
        assert order["data"]["product_id"] in ids(products)


def test_integer_ids_count_up_from_the_demo_account():
    users = load_fixtures("accounts")["users"]
    assert sorted(u["id"] for u in users) == list(range(1, len(users) + 1))


@pytest.mark.parametrize("api", APIS)
def test_ids_are_unique_across_collections_and_unlike_a_mock_run_with_the_same_seed(api):
    """No two fixture records share an id, in one collection or across collections, and a mock
    started with the recipe's seed does not make the fixtures' ids again."""
    from mock_server.datagen import DataGenerator

    population = load_fixtures(api)
    seen: dict = {}
    for name, records in population.items():
        for record in records:
            if isinstance(record.get("id"), str):
                assert record["id"] not in seen, (api, name, record["id"], seen.get(record["id"]))
                seen[record["id"]] = name
    recipe = load_recipe(ROOT / "fixtures" / api / "recipe.yaml")
    document = contract(api)
    runtime = DataGenerator(recipe.seed)
    for collection in recipe.collections:
        record = runtime.record({"$ref": collection.schema}, root=document)
        assert not isinstance(record.get("id"), str) or record["id"] not in seen, (api, collection.name)


def test_building_twice_gives_the_same_population():
    document = contract("messaging")
    recipe = load_recipe(ROOT / "fixtures" / "messaging" / "recipe.yaml")
    assert build(document, recipe) == build(document, recipe)


def test_an_api_without_fixtures_starts_empty_and_broken_files_are_reported(tmp_path):
    assert load_fixtures("no-such-api") == {}
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "things.json").write_text('{"not": "a list"}')
    with pytest.raises(ValueError, match="things.json: a fixture file holds a JSON list"):
        load_fixtures("api", root=tmp_path)


def test_recipe_mistakes_are_reported_with_their_place(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("collections:\n  users: {schema: '#/components/schemas/User', cuont: 3}\n")
    with pytest.raises(RecipeError, match=r"collections.users: unknown key\(s\) cuont"):
        load_recipe(path)
    path.write_text("collections:\n  users: {schema: '#/x', refs: {owner_id: users}}\n")
    with pytest.raises(RecipeError, match="refs.owner_id: expected `collection.field`"):
        load_recipe(path)
