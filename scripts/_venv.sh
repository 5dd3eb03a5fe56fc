# Shared by scripts/coach and scripts/test: make .venv and install the project into it
# when it is missing or pyproject.toml has changed since the last install.
# Usage: ensure_venv EXTRAS   (EXTRAS is "[neural]" or "[test,neural]", or any other extras)
#
# Each EXTRAS has its own stamp, .venv/.installed$EXTRAS, holding the sha256 of the
# pyproject.toml it was installed from. The check that runs before every command is cheap:
# a stamp newer than pyproject.toml is current (bash compares the times itself, starting
# no other program). Only when pyproject.toml is newer is its hash computed; an unchanged
# hash (the file was touched, or checked out again) just renews the stamp's time.
ensure_venv() {
    local extras="$1"
    local root="${BASH_SOURCE[0]%/*}/.."
    local venv="$root/.venv"
    local stamp="$venv/.installed$extras"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$root/pyproject.toml" ]; then
        return 0
    fi
    root="$(cd "$root" && pwd)"
    venv="$root/.venv"
    stamp="$venv/.installed$extras"
    local want
    want="$(sha256sum < "$root/pyproject.toml")"
    want="${want%% *}"
    if [ ! -x "$venv/bin/python" ]; then
        local python
        python="$(_find_python)" || exit 2
        echo "Setting up coach in .venv (first run only)..." >&2
        "$python" -m venv "$venv" || exit 2
    fi
    if [ -f "$stamp" ] && [ "$(< "$stamp")" = "$want" ]; then
        touch "$stamp"
        return 0
    fi
    echo "Installing coach$extras and its packages into .venv..." >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root$extras" >&2 || {
        echo "Installing coach's packages failed; see the messages above." >&2
        exit 2
    }
    echo "$want" > "$stamp"
}

# The Python to make .venv with: $COACH_PYTHON, or the newest python3.1x on PATH that is
# 3.11 or newer. Only asked when .venv is made, as each candidate costs starting Python.
_find_python() {
    if [ -n "${COACH_PYTHON:-}" ]; then
        echo "$COACH_PYTHON"
        return 0
    fi
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "coach needs Python 3.11 or newer; none was found on PATH (set COACH_PYTHON to choose one)." >&2
    exit 2
}
