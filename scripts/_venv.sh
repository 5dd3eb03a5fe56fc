# Shared by scripts/coach and scripts/test: make .venv and install the project into it
# when it is missing or pyproject.toml has changed since the last install.
# Usage: ensure_venv EXTRAS   (EXTRAS is "[neural]" or "[test,neural]")
ensure_venv() {
    local extras="$1"
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local venv="$root/.venv"
    local stamp="$venv/.installed$extras"
    local python="${COACH_PYTHON:-}"
    if [ -z "$python" ]; then
        for candidate in python3.13 python3.12 python3.11 python3; do
            if command -v "$candidate" >/dev/null 2>&1 &&
                "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
                python="$candidate"
                break
            fi
        done
    fi
    if [ -z "$python" ]; then
        echo "coach needs Python 3.11 or newer; none was found on PATH (set COACH_PYTHON to choose one)." >&2
        exit 2
    fi
    local want
    want="$(cat "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$venv/bin/python" ]; then
        echo "Setting up coach in .venv (first run only)..." >&2
        "$python" -m venv "$venv" || exit 2
    fi
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing coach$extras and its packages into .venv..." >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root$extras" >&2 || {
            echo "Installing coach's packages failed; see the messages above." >&2
            exit 2
        }
        echo "$want" > "$stamp"
    fi
}
