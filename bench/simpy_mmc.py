#!/usr/bin/env python3
"""The M/M/50 queue of bench/sim_bench.cc in SimPy 2.3.1 (Debian's python3-simpy).

The issue's reference point for the simulator's speed: the same queue (50
agents, utilisation 0.9, exponential handling with a mean of 60 s, FIFO) in
a general-purpose discrete-event library. Prints tickets simulated per second
of wall time, and the mean wait and the share of tickets that waited, to
compare with Erlang C (`helpdesk erlang --rate 2700 --aht 60 --agents 50`:
mean wait 4.4 s, P(wait) 0.36).

  apt-get install python3-simpy
  python3 bench/simpy_mmc.py [TICKETS]     # default 200000

bench/sim_vs_simpy.sh runs it and then sim_bench with the rate it measured,
so that sim_bench's real_over_simpy is against this machine's SimPy.
"""
import random
import sys
import time

from SimPy.Simulation import (Process, Resource, activate, hold, initialize,
                              now, release, request, simulate)

AGENTS = 50
UTILISATION = 0.9
HANDLING_SECONDS = 60.0


class Stats:
    waits = 0.0
    waited = 0
    served = 0


class Customer(Process):
    def visit(self, agents, rng, stats):
        arrived = now()
        yield request, self, agents
        wait = now() - arrived
        stats.waits += wait
        stats.waited += wait > 0
        stats.served += 1
        yield hold, self, rng.expovariate(1.0 / HANDLING_SECONDS)
        yield release, self, agents


class Source(Process):
    def generate(self, tickets, rate, agents, rng, stats):
        for _ in range(tickets):
            c = Customer()
            activate(c, c.visit(agents, rng, stats))
            yield hold, self, rng.expovariate(rate)


def main():
    tickets = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    if tickets <= 0:
        sys.exit("simpy_mmc: TICKETS: %d must be > 0" % tickets)
    rate = UTILISATION * AGENTS / HANDLING_SECONDS
    rng = random.Random(1)
    stats = Stats()
    start = time.perf_counter()
    initialize()
    agents = Resource(capacity=AGENTS, monitored=False)
    source = Source()
    activate(source, source.generate(tickets, rate, agents, rng, stats), at=0.0)
    simulate(until=tickets / rate * 10)
    seconds = time.perf_counter() - start
    print("simpy_tickets_per_s=%.0f tickets=%d seconds=%.2f wait_mean=%.2f "
          "p_wait=%.3f" % (stats.served / seconds, stats.served, seconds,
                           stats.waits / stats.served,
                           stats.waited / stats.served))


if __name__ == "__main__":
    main()
