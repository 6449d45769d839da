"""The kernel manager ``coursekit present`` gives Voilà: Jupyter Server's culler, restricted to
kernels whose page has come and gone.

Voilà runs the lesson in the kernel before the browser connects to it, and that run does not
count as activity for the culler: a plain ``cull_idle_timeout`` shut kernels down in the middle
of a slow page load (seen with 8 s and with 30 s on a loaded machine). Here a kernel is a
candidate only after a page has connected to it, and then, as usual, once it has no
connection left and has been idle for ``cull_idle_timeout`` seconds.
"""

from __future__ import annotations

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager


class ClosedPageKernelManager(AsyncMappingKernelManager):
    """Culls a kernel only once a page has connected to it (and then left)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ever_connected: set[str] = set()

    def notify_connect(self, kernel_id: str) -> None:
        self.ever_connected.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str):
        if kernel_id not in self.ever_connected:
            return None  # Voilà is still running the lesson for a page that is loading
        return await super().cull_kernel_if_idle(kernel_id)
