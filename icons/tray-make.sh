#!/bin/sh
# Makes the tray's icons from the app icon: the icon at 64 px with a dot in its lower
# right corner whose colour is the worst state (green all well, amber needs you, red failed),
# ringed in the icon's dark background so it reads on light and dark panels alike.
# Run from the repository root after the app icon changes (ImageMagick, Debian's imagemagick).
set -eu
make_one() {
  convert icons/icon.png -resize 64x64 \
    -fill '#101828' -draw 'circle 46,46 46,25' \
    -fill "$2" -draw 'circle 46,46 46,29' \
    -strip "PNG32:icons/tray-$1.png"
}
make_one well '#2ea043'
make_one needs-you '#e3a008'
make_one failed '#e5484d'
# No daemon answers: grey.
make_one off '#8b949e'
