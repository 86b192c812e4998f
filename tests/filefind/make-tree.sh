#!/bin/sh
# Builds the file-find test tree at $1 (which must not exist): nested 10 deep, 2,000+ files,
# names with spaces, UTF-8 and 255 bytes, empty files, a large sparse file, symbolic links
# (to a file, to a directory, dangling, and a loop), and an unreadable directory.
set -eu
root=$1
mkdir "$root"
cd "$root"

d=.
for i in 0 1 2 3 4 5 6 7 8 9; do
  d="$d/level $i"
  mkdir "$d"
  for j in 1 2 3; do printf 'depth %s file %s\n' "$i" "$j" >"$d/file$j.txt"; done
done

i=1
while [ "$i" -le 20 ]; do
  mkdir "bulk$i"
  j=1
  while [ "$j" -le 100 ]; do
    printf '%*s' $((j % 9)) '' >"bulk$i/f$j.dat"
    j=$((j + 1))
  done
  i=$((i + 1))
done

mkdir "names"
: >"names/empty one"
: >"names/empty two.txt"
printf 'é' >"names/été.txt"
printf 'x' >"names/日本語.txt"
printf 'xy' >"names/Ωmega"
printf 'xyz' >"names/😀 smile.txt"
printf 'long' >"names/$(printf '%0255d' 0 | tr 0 n)"
printf 'utf8' >"names/$(printf '%0127d' 0 | sed 's/0/é/g')x"
printf 'a' >"names/file.TXT"
printf 'b' >"names/FILE.txt"
printf 'c' >"names/noext"
printf 'd' >"names/a.b.c"
printf 'e' >"names/fxle1.log"
printf 'f' >"names/.hidden"

truncate -s 5G big.sparse

mkdir links
printf 'target' >links/target.txt
ln -s target.txt links/to-file
ln -s "../level 0" links/to-dir
ln -s nowhere links/dangling
ln -s .. links/loop

mkdir locked
printf 'secret' >locked/secret.txt
chmod 000 locked
