#!/usr/bin/env bash
# Regenerates the PNGs in this folder from the demo: the real binary in a detached tmux pane
# of fixed size, captured with colours (tmux capture-pane -e), turned into HTML by aha and
# into a PNG by headless Chromium.
#
#   needs: tmux, aha, chromium, fonts-dejavu-core   (apt-get install -y aha chromium)
#   usage: screenshots/make.sh            (builds the release binary first)
#          APP=target/debug/flightdeck screenshots/make.sh   (use an existing binary)
#          ONLY='demo-logs*' screenshots/make.sh                (just the matching shots)
set -euo pipefail
export LC_ALL=C.UTF-8
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
if [ -z "${APP:-}" ]; then
  cargo build --release --quiet
  APP=target/release/flightdeck
fi
app=$(realpath "$APP")

# Saved filters for the palette shot, and themes for the theme shots: the demo borrows a
# config's [ui], [keys] and [filter.NAME] (its backends are not used).
configs=$(mktemp -d)
trap 'rm -rf "$configs"' EXIT
saved='[filter.prod-gates]
query = "env:prod status:waiting"
pane = "approvals"

[filter.failed]
query = "status:failed"
pane = "executions"'
printf '%s\n' "$saved" > "$configs/saved.toml"
for theme in light high-contrast colorblind; do
  printf '[ui]\ntheme = "%s"\n\n%s\n' "$theme" "$saved" > "$configs/$theme.toml"
done

# shot NAME COLS ROWS WAIT_TEXT KEYS...   keys are sent one tmux call each; `wait:TEXT` waits
# for TEXT on screen. CONFIG=FILE lends the demo a config; BG=white for a light terminal.
shot() {
  local name=$1 cols=$2 rows=$3 wait_for=$4; shift 4
  # ONLY=GLOB regenerates just the matching shots.
  [[ -n "${ONLY:-}" && $name != $ONLY ]] && return 0
  local config_arg=""
  [ -n "${CONFIG:-}" ] && config_arg="--config $CONFIG"
  local work; work=$(mktemp -d)
  local sock=$work/sock
  printf 'set -g status off\nset -g default-terminal tmux-256color\nset -g escape-time 0\n' > "$work/tmux.conf"
  tmux -S "$sock" -f "$work/tmux.conf" -u new-session -d -s shot -x "$cols" -y "$rows" \
       -e COLORTERM=truecolor "$app demo --seed 7 $config_arg"
  wait_text() {
    for _ in $(seq 600); do
      [[ "$(tmux -S "$sock" capture-pane -p -t shot)" == *"$1"* ]] && return 0
      sleep 0.05
    done
    echo "timeout waiting for: $1" >&2; tmux -S "$sock" capture-pane -p -t shot >&2; return 1
  }
  wait_text "$wait_for"
  for k in "$@"; do
    case $k in
      wait:*) wait_text "${k#wait:}" ;;
      *) tmux -S "$sock" send-keys -t shot "$k" ;;
    esac
  done
  sleep 0.3   # let the last frame land (the throttle is 33 ms)
  tmux -S "$sock" capture-pane -e -p -N -t shot > "$work/screen.ans"
  tmux -S "$sock" kill-server
  local bg=#000 aha_bg=--black
  if [ "${BG:-}" = white ]; then bg=#fff aha_bg=""; fi
  aha $aha_bg --title flightdeck < "$work/screen.ans" > "$work/screen.html"
  local css="body{margin:0;padding:8px;background:$bg}pre{margin:0;font-family:'DejaVu Sans Mono',monospace;font-size:14px;line-height:17px;font-variant-ligatures:none}"
  sed -i "s|</head>|<style>${css}</style></head>|" "$work/screen.html"
  local w h
  w=$(awk -v c="$cols" 'BEGIN{printf "%d", c*14*0.6021 + 16 + 0.999}')
  h=$(( rows * 17 + 16 ))
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --force-device-scale-factor=1 --user-data-dir="$work/profile" \
    --window-size="$w,$h" --screenshot="$here/$name.png" "file://$work/screen.html" \
    >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }
  rm -rf "$work"
  echo "wrote screenshots/$name.png"
}

shot demo-executions-120x40 120 40 "argo-data ok"
shot demo-pipelines-120x40 120 40 "argo-data ok" BTab "wait:Pipelines"
shot demo-approvals-120x40 120 40 "argo-data ok" Tab "wait:DEADLINE" g
shot demo-detail-120x40 120 40 "argo-data ok" Tab "wait:DEADLINE" g Enter "wait:Stages"
shot demo-decision-120x40 120 40 "argo-data ok" Tab "wait:DEADLINE" g a "wait:Approve gate" Tab
shot demo-pipelines-80x24 80 24 "● argo-data" BTab "wait:Pipelines"
shot demo-batch-120x40 120 40 "argo-data ok" Tab "wait:DEADLINE" g '*' A "wait:marked gates" Tab
shot demo-start-120x40 120 40 "argo-data ok" BTab "wait:Pipelines" / cart Enter s "wait:image_tag" Tab v2.3.1 BTab BTab "wait:request"
shot demo-audit-120x40 120 40 "argo-data ok" Tab "wait:DEADLINE" g a "wait:Approve gate" BTab Enter "wait:approved" Tab "wait:approve"
shot demo-help-80x24 80 24 "● argo-data" '?' "wait:Keys"
shot demo-argo-detail-120x40 120 40 "argo-data ok" / m i g r a t e Enter "wait:/migrate" Enter "wait:Stages"
shot demo-logs-120x40 120 40 "argo-data ok" / c i b u i l d Enter "wait:/cibuild" l "wait:Cloning"
shot demo-help-120x40 120 40 "argo-data ok" '?' "wait:Keys"
shot demo-backends-120x40 120 40 "argo-data ok" b "wait:Backends"
shot demo-approvals-80x24 80 24 "● argo-data" Tab "wait:DEADLINE" g
shot demo-detail-from-gate-80x24 80 24 "● argo-data" Tab "wait:DEADLINE" g Enter "wait:Gate"
shot demo-abort-120x40 120 40 "argo-data ok" / b a c k e n d : h a r n e s s Space s t a t u s : r u n n i n g Enter "wait:/backend:harness" g K "wait:Abort"
shot demo-batch-abort-80x24 80 24 "● argo-data" / b a c k e n d : h a r n e s s Space s t a t u s : r u n n i n g Enter "wait:/backend:harness" g Space j Space K "wait:Abort"
shot demo-logs-harness-120x40 120 40 "argo-data ok" / backend:harness Space status:running Enter "wait:/backend:harness" l "wait:following"
shot demo-retry-120x40 120 40 "argo-data ok" / backend:harness Space status:failed Enter "wait:/backend:harness" g R "wait:Retry"
shot demo-rerun-first-gen-80x24 80 24 "● argo-data" / backend:harness-fg Space status:success Enter "wait:/backend:harness-fg" g E "wait:filled"
shot demo-approvals-sorted-120x40 120 40 "argo-data ok" Tab "wait:DEADLINE" o o "wait:sort:"
shot demo-bulk-start-120x40 120 40 "argo-data ok" BTab "wait:Pipelines" g Space j Space s "wait:marked pipelines"
CONFIG=$configs/saved.toml shot demo-palette-120x40 120 40 "argo-data ok" : "wait:Commands" a p
CONFIG=$configs/saved.toml shot demo-saved-filter-120x40 120 40 "argo-data ok" : "wait:Commands" @ p r o d Enter "wait:/@prod-gates"
CONFIG=$configs/light.toml BG=white shot demo-theme-light-120x40 120 40 "argo-data ok"
CONFIG=$configs/high-contrast.toml shot demo-theme-high-contrast-120x40 120 40 "argo-data ok"
CONFIG=$configs/colorblind.toml shot demo-theme-colorblind-120x40 120 40 "argo-data ok"
