"""Tests of scripts/install-deps.sh's mirror choice (`--print-mirror`, which installs nothing):
the Debian 13 llhttp packages come from the mirror the machine's own apt sources name for
Debian's main archive, read from one-line `*.list` files and deb822 `*.sources` files (APT_ETC
and OS_RELEASE point the script at fixtures in the test's temp dir). Disabled stanzas, deb-src
lines, other suites (security, updates) and other components are passed over; no source for
the release is an error.
"""
import os
import subprocess

import svclib

SCRIPT = os.path.join(svclib.ROOT, "scripts", "install-deps.sh")


class MirrorTest(svclib.ProcTestCase):
    def mirror(self, files, codename="bookworm"):
        """Runs --print-mirror over `files` ({relative path: text}); returns (code, output)."""
        etc = os.path.join(self.tmpdir, "apt-%d" % len(os.listdir(self.tmpdir)))
        os.makedirs(os.path.join(etc, "sources.list.d"))
        for name, text in files.items():
            with open(os.path.join(etc, name), "w") as f:
                f.write(text)
        release = os.path.join(etc, "os-release")
        with open(release, "w") as f:
            f.write('ID=debian\nVERSION_CODENAME=%s\n' % codename)
        env = dict(os.environ, APT_ETC=etc, OS_RELEASE=release)
        env.pop("DEBIAN_MIRROR", None)
        proc = subprocess.run([SCRIPT, "--print-mirror"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30)
        return proc.returncode, proc.stdout.decode().strip()

    def test_one_line_format(self):
        rc, out = self.mirror({"sources.list": (
            "# deb http://commented.example/debian bookworm main\n"
            "deb-src http://src.example/debian bookworm main\n"
            "deb http://sec.example/debian-security bookworm-security main\n"
            "deb [ arch=amd64 signed-by=/k.gpg ] http://contrib.example/debian bookworm contrib\n"
            "deb [arch=amd64] http://mirror.example/debian bookworm contrib main # here\n")})
        self.assertEqual((rc, out), (0, "http://mirror.example/debian"))

    def test_deb822_format(self):
        rc, out = self.mirror({"sources.list.d/debian.sources": (
            "Types: deb\nURIs: http://disabled.example/debian\nSuites: bookworm\n"
            "Components: main\nEnabled: no\n\n"
            "# a comment between stanzas\n"
            "Types: deb deb-src\nURIs:\n http://first.example/debian\n http://second.example/d\n"
            "Suites: bookworm bookworm-updates\nComponents: contrib main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")})
        self.assertEqual((rc, out), (0, "http://first.example/debian"))

    def test_other_releases_are_passed_over(self):
        rc, out = self.mirror({
            "sources.list.d/trixie.sources": ("Types: deb\nURIs: http://t.example/debian\n"
                                              "Suites: trixie\nComponents: main\n"),
            "sources.list.d/local.list": "deb http://local.example/debian bookworm main\n"})
        self.assertEqual((rc, out), (0, "http://local.example/debian"))

    def test_no_source_for_the_release_is_an_error(self):
        rc, out = self.mirror({"sources.list": "deb http://x.example/debian bullseye main\n"})
        self.assertEqual(rc, 1, out)
        self.assertIn("no Debian main archive", out)
