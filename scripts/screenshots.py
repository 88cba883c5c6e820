"""Screenshots of the main pages at phone size (360x740), for looking at and for the README.

usage: .venv/bin/python scripts/screenshots.py BASE_URL OUT_DIR [EMAIL]
Logs in with a demo login (`make run` prints them), then saves one PNG per page and language.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.browser import PHONE, chromium  # noqa: E402

PAGES = ["/", "/settings", "/team"]


async def main(base_url: str, out_dir: Path, email: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    async with chromium() as browser:
        for language in ("fi", "sv"):
            context = await browser.new_context(**PHONE, locale=language)
            page = await context.new_page()
            await page.goto(f"{base_url}/login")
            await page.fill("#email", email)
            await page.fill("#password", "rinnalla-demo-2026")
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base_url}/")
            await page.goto(f"{base_url}/settings")
            await page.click(f"button[value={language}]")
            first_client = None
            for path in PAGES:
                await page.goto(base_url + path)
                name = path.strip("/") or "home"
                await page.screenshot(path=str(out_dir / f"{name}-{language}.png"))
                if path == "/" and first_client is None:
                    link = page.locator("a[href^='/clients/']").first
                    first_client = await link.get_attribute("href") if await link.count() else None
            if first_client:
                await page.goto(base_url + first_client)
                await page.screenshot(path=str(out_dir / f"client-{language}.png"))
            await context.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "lead@demo.rinnalla.fi"))
