"""lightkube, the platform's client, works against the simulator through kubeconfig_path."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from collections.abc import AsyncIterator

import pytest
from lightkube import AsyncClient, KubeConfig
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Namespace

Workflow = create_namespaced_resource("argoproj.io", "v1alpha1", "Workflow", "workflows")


@pytest.fixture
async def client(kubeconfig_path: pathlib.Path) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(KubeConfig.from_file(str(kubeconfig_path)))
    yield client
    await client.close()


async def test_lightkube_creates_lists_and_applies(client: AsyncClient, namespace: str) -> None:
    for i in range(5):
        await client.create(ConfigMap(metadata=ObjectMeta(name=f"c{i}"), data={"i": str(i)}), namespace=namespace)
    applied = await client.apply(
        ConfigMap(metadata=ObjectMeta(name="c0", namespace=namespace), data={"i": "x"}), field_manager="nsaas"
    )

    names = [cm.metadata.name async for cm in client.list(ConfigMap, namespace=namespace, chunk_size=2)]

    assert names == ["c0", "c1", "c2", "c3", "c4"]
    assert applied.data == {"i": "x"}


async def test_lightkube_sees_kubernetes_errors_as_api_errors(client: AsyncClient, namespace: str) -> None:
    await client.create(ConfigMap(metadata=ObjectMeta(name="dup")), namespace=namespace)

    with pytest.raises(ApiError) as raised:
        await client.create(ConfigMap(metadata=ObjectMeta(name="dup")), namespace=namespace)

    assert raised.value.status.code == 409
    assert raised.value.status.reason == "AlreadyExists"


async def test_lightkube_watches_generic_resources(client: AsyncClient, namespace: str) -> None:
    start = (await client.get(Namespace, namespace)).metadata.resourceVersion

    async def first_event() -> tuple[str, str]:
        async with contextlib.aclosing(client.watch(Workflow, namespace=namespace, resource_version=start)) as events:
            async for event, obj in events:
                return event, obj.metadata.name
        raise AssertionError("the watch ended without events")

    watching = asyncio.create_task(first_event())
    await client.create(Workflow(metadata=ObjectMeta(name="wf"), spec={"templates": []}), namespace=namespace)

    assert await asyncio.wait_for(watching, 5) == ("ADDED", "wf")
