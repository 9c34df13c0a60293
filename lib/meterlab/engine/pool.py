"""An ordered process pool that survives its workers being killed.

``multiprocessing.Pool`` replaces a worker that dies (killed for memory, a signal, a
crash in native code) but loses the task it held, so ``imap`` then waits forever. Here
each worker holds one job at a time and the parent watches both its pipe and its
process: a worker that dies turns its job into a result saying so (through
``on_lost``), a new worker takes its place, and the run goes on.
"""
import signal
from collections import deque
from multiprocessing import get_context
from multiprocessing.connection import wait


class WorkerLost(RuntimeError):
    """A worker died while running a job and no ``on_lost`` says what to yield instead."""


def death_cause(exitcode):
    """``"killed by SIGKILL"``, ``"exited with code 1"``: why a worker process ended."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


def _serve(function, initializer, connection):
    """Worker loop: run each job sent, send back ``(ok, value)``; ``None`` ends it."""
    initializer()
    while True:
        job = connection.recv()
        if job is None:
            return
        try:
            connection.send((True, function(job)))
        except Exception as error:  # handed to the parent, which raises it there
            connection.send((False, error))


class _Worker:
    def __init__(self, context, function, initializer):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(function, initializer, child),
                                       daemon=True)
        self.process.start()
        child.close()
        #: Index of the job it holds, or None when idle.
        self.index = None

    def give(self, index, job):
        self.index = index
        self.connection.send(job)

    def answered(self):
        """Whether it has a reply, or has died (its pipe then reads end-of-file)."""
        return self.connection.poll() or not self.process.is_alive()

    def stop(self):
        """Ask an idle worker to finish; kill a busy (or stuck) one."""
        if self.index is None and self.process.is_alive():
            self.connection.send(None)
            self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


def ordered_map(function, jobs, workers, initializer, on_lost=None, fresh=False):
    """Yield ``function(job)`` for every job, in input order, from ``workers`` forked
    processes (each started with ``initializer()``).

    An exception raised by ``function`` is raised here. A worker that dies mid-job
    yields ``on_lost(job, cause)`` for that job (:class:`WorkerLost` without one) and is
    replaced. ``fresh`` gives every job a new interpreter of its own (spawned, not
    forked), for measurements such as peak memory that nothing before may colour.
    """
    context = get_context("spawn" if fresh else "fork")
    queue = deque(enumerate(jobs))
    pool = [_Worker(context, function, initializer) for _ in range(min(workers, len(queue)))]
    done, next_index = {}, 0
    try:
        while next_index < len(jobs):
            for worker in pool:
                if worker.index is None and queue:
                    worker.give(*queue.popleft())
            busy = [worker for worker in pool if worker.index is not None]
            wait([w.connection for w in busy] + [w.process.sentinel for w in busy])
            for position, worker in enumerate(pool):
                if worker.index is None or not worker.answered():
                    continue
                try:
                    ok, value = worker.connection.recv()
                except EOFError:
                    worker.process.join()
                    cause = f"worker process {death_cause(worker.process.exitcode)}"
                    job = jobs[worker.index]
                    if on_lost is None:
                        raise WorkerLost(f"{cause} while running {job!r}") from None
                    done[worker.index] = on_lost(job, cause)
                    worker.index = None
                    worker.stop()
                    pool[position] = _Worker(context, function, initializer)
                    continue
                if not ok:
                    raise value
                done[worker.index] = value
                worker.index = None
                if fresh:
                    worker.stop()
                    if queue:
                        pool[position] = _Worker(context, function, initializer)
            while next_index in done:
                yield done.pop(next_index)
                next_index += 1
    finally:
        for worker in pool:
            worker.stop()
