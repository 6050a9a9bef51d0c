"""The outbound URL policy: what is refused, why, and what the allow-list lets through."""

from __future__ import annotations

import ipaddress

import pytest

from models.egress import EgressPolicy, RefusedDestination, check_address, check_url, non_public

PUBLIC = EgressPolicy()


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8080/x", "loopback"),
    ("http://127.8.9.1/x", "loopback"),
    ("http://localhost/x", "loopback"),
    ("http://api.localhost./x", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "carrier NAT"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[::1]/", "loopback"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fd00::1]/", "private"),
    ("http://[::ffff:169.254.169.254]/", "169.254.169.254 inside an IPv6 address"),
    ("http://[::ffff:7f00:1]/", "loopback"),
    ("http://[64:ff9b::a00:1]/", "10.0.0.1 inside"),
    ("http://[2002:7f00:1::]/", "127.0.0.1 inside"),
    ("http://0x7f000001/", "127.0.0.1 written in an unusual form, loopback"),
    ("http://2130706433/", "127.0.0.1 written in an unusual form"),
    ("http://0177.0.0.1/", "127.0.0.1"),
    ("http://127.1/", "127.0.0.1"),
    ("http://8.8.8.8.8/", "malformed"),
    ("https://user:pass@crm.example.ru/", "credentials"),
    ("https://user@crm.example.ru/", "credentials"),
    ("ftp://crm.example.ru/", "http:// or https://"),
    ("file:///etc/passwd", "http:// or https://"),
    ("http:///path", "no host"),
    ("http://crm.example.ru:99999/", "not a valid URL"),
])
def test_non_public_and_odd_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(RefusedDestination, match=reason):
        check_url(url, PUBLIC)


@pytest.mark.parametrize("url", [
    "https://crm.example.ru/otklik/webhooks", "http://8.8.8.8:8080/x", "https://[2a00:1450:4010:c05::64]/x",
    "https://1.example/x", "https://crm.example.ru/?q=a@b",
])
def test_public_urls_and_host_names_pass(url: str) -> None:
    assert check_url(url, PUBLIC) == url


def test_the_allow_list_takes_networks_hosts_and_domains() -> None:
    policy = EgressPolicy(allow=("10.20.0.0/16", "CRM.corp.example", ".intra.example", "127.0.0.1"))

    assert check_url("http://10.20.3.4/hooks", policy) and check_url("http://127.0.0.1:9000/", policy)
    assert check_url("http://crm.corp.example/", policy) and check_url("http://a.b.intra.example/", policy)
    assert policy.allows_host("intra.example") and not policy.allows_host("evilintra.example")
    with pytest.raises(RefusedDestination, match="private"):
        check_url("http://10.21.0.1/", policy)
    with pytest.raises(RefusedDestination, match="loopback"):
        check_url("http://localhost/", policy)  # allowing an address is not allowing every loopback name


def test_an_allow_list_entry_that_is_neither_network_nor_host_is_refused() -> None:
    with pytest.raises(ValueError, match="neither a network"):
        EgressPolicy(allow=("10.0.0.0/33",))


def test_addresses_are_classified_as_public_only_when_globally_routable() -> None:
    assert non_public(ipaddress.ip_address("93.184.216.34")) is None
    assert non_public(ipaddress.ip_address("192.0.2.10")) is not None  # documentation range
    check_address(ipaddress.ip_address("2a00:1450:4010:c05::64"), PUBLIC)
