"""resource_lock: owner tokens, TTL, extension, owner-only release, real contention."""

from __future__ import annotations

import threading
import time

import pytest

from orgs.auth0.errors import Auth0Error, LockBusy, LockLost
from orgs.auth0.locks import default_ttl, lock_key, resource_lock
from portal.coordination import coordination_store

pytestmark = pytest.mark.usefixtures("coordination")


def test_it_holds_the_lock_under_a_random_owner_token_and_releases_it() -> None:
    store = coordination_store()
    with resource_lock("client", "abc") as held:
        assert held.key == "lock:client:abc"
        assert store.get(held.key) == held.token.encode()
        assert len(held.token) >= 32
    assert store.get(lock_key("client", "abc")) is None
    assert not held.lost


def test_a_second_taker_gets_lock_busy_retryable_soon() -> None:
    with resource_lock("client", "abc"):
        before = time.time()
        with pytest.raises(LockBusy) as caught, resource_lock("client", "abc"):
            pass
    error = caught.value
    assert isinstance(error, Auth0Error)
    assert error.retryable
    assert error.retry_at is not None
    assert before < error.retry_at <= before + 3
    assert "lock_busy" in str(error)


def test_different_resources_do_not_block_each_other() -> None:
    with resource_lock("client", "a"), resource_lock("client", "b"), resource_lock("org", "a"):
        pass


def test_the_default_ttl_outlasts_every_call_under_the_lock(settings: object) -> None:
    settings.AUTH0_TIMEOUT = 4.0  # type: ignore[attr-defined]
    assert default_ttl() > 4.0 * 3
    with resource_lock("client", "abc") as held:
        assert held.ttl == default_ttl()
        assert 12_000 < coordination_store().pttl(held.key) <= default_ttl() * 1000


def test_a_waiting_taker_gets_the_lock_once_it_is_released() -> None:
    released = threading.Event()

    def hold_briefly() -> None:
        with resource_lock("client", "abc"):
            started.set()
            time.sleep(0.2)
        released.set()

    started = threading.Event()
    holder = threading.Thread(target=hold_briefly)
    holder.start()
    started.wait(2)
    with resource_lock("client", "abc", wait=3):
        assert released.is_set()
    holder.join()


def test_it_is_extended_while_held() -> None:
    store = coordination_store()
    with resource_lock("client", "abc", ttl=0.6) as held:
        time.sleep(1.5)  # well past the TTL
        assert store.get(held.key) == held.token.encode()
        assert store.pttl(held.key) > 0
        held.verify()
    assert not held.lost


def test_a_crashed_holders_lock_expires_after_its_ttl() -> None:
    store = coordination_store()
    store.set(lock_key("client", "abc"), "crashed-worker", px=600)
    with pytest.raises(LockBusy), resource_lock("client", "abc"):
        pass
    started = time.monotonic()
    with resource_lock("client", "abc", wait=3):
        assert time.monotonic() - started >= 0.2


def test_release_never_deletes_another_owners_lock() -> None:
    store = coordination_store()
    with resource_lock("client", "abc", ttl=5) as held:
        # Our lock expired and another worker took it.
        store.set(held.key, "other-worker")
    assert store.get(held.key) == b"other-worker"
    assert held.lost


def test_it_notices_a_lost_lock_while_held() -> None:
    store = coordination_store()
    with resource_lock("client", "abc", ttl=0.3) as held:
        store.set(held.key, "other-worker")
        deadline = time.monotonic() + 2
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.02)
        assert held.lost
        with pytest.raises(LockLost):
            held.verify()
    assert store.get(held.key) == b"other-worker"


def test_verify_catches_a_takeover_before_the_extender_does() -> None:
    store = coordination_store()
    with resource_lock("client", "abc", ttl=30) as held:
        store.set(held.key, "other-worker")
        with pytest.raises(LockLost) as caught:
            held.verify()
    assert caught.value.retryable
