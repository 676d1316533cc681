# knetsim in a privileged container: `docker build -t knetsim .` then
# `docker run --privileged -it knetsim` starts the default lab and opens a
# shell. The package list is tools/debian-packages.txt, as for `make deps`.
FROM debian:12
COPY . /src/knetsim
WORKDIR /src/knetsim
RUN sh tools/deps.sh && make && make install && make clean
CMD ["sh", "-c", "knetsim up && exec bash"]
