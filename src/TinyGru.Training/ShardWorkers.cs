using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace TinyGru.Training;

/// <summary>
/// Runs a fixed number of shards of work on the caller's thread and on helper threads that live as long as the
/// training run, so a mini-batch costs no allocation and no thread wake-up in the common case: between batches a
/// helper spins briefly for the next one before it blocks. Threads claim shards from a shared counter, so when a
/// helper is slow (a busy machine) the caller takes its shard instead of waiting for it. The shard count is fixed
/// independently of the core count and results are combined in shard order, so results do not depend on which
/// thread ran which shard.
/// </summary>
internal sealed class ShardWorkers : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;   // 0.2 ms: longer than an optimizer step
    private readonly Thread[] _helpers;
    private readonly ManualResetEventSlim _wake = new(false);
    private Action<int> _work = _ => { };
    private int _generation;    // bumped by every Run
    private int _next;          // the next shard to claim
    private int _completed;     // shards finished in this Run
    private int _sleepers;      // helpers blocked on _wake
    private Exception? _error;
    private volatile bool _stopping;

    public ShardWorkers(int shards)
    {
        Shards = shards;
        int threads = Math.Max(1, Math.Min(shards, Environment.ProcessorCount));
        _next = shards;         // nothing to claim until the first Run
        _helpers = new Thread[threads - 1];
        for (int i = 0; i < _helpers.Length; i++)
        {
            _helpers[i] = new Thread(HelperLoop) { IsBackground = true, Name = "tinygru-shard-" + (i + 1) };
            _helpers[i].Start();
        }
    }

    /// <summary>Number of shards each <see cref="Run"/> executes.</summary>
    public int Shards { get; }

    /// <summary>Runs <paramref name="work"/>(shard) for every shard and returns when all are done.</summary>
    public void Run(Action<int> work)
    {
        _work = work;
        _completed = 0;
        Volatile.Write(ref _next, 0);           // publishes the work above to any thread that claims a shard
        Interlocked.Increment(ref _generation);
        if (Volatile.Read(ref _sleepers) > 0) _wake.Set();
        ClaimShards();
        while (Volatile.Read(ref _completed) < Shards) Thread.SpinWait(20); // a claimed shard is being run right now
        if (_error is { } error)
        {
            _error = null;
            ExceptionDispatchInfo.Throw(error);
        }
    }

    private void ClaimShards()
    {
        int shard;
        while ((shard = Interlocked.Increment(ref _next) - 1) < Shards)
        {
            try { _work(shard); }
            catch (Exception e) { _error ??= e; }
            Interlocked.Increment(ref _completed);
        }
    }

    private void HelperLoop()
    {
        int seen = 0;
        while (!_stopping)
        {
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _generation) == seen && !_stopping && Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
            if (Volatile.Read(ref _generation) == seen)
            {
                _wake.Reset();
                Interlocked.Increment(ref _sleepers);            // full fence: Run either sees a sleeper or we see its generation
                while (Volatile.Read(ref _generation) == seen && !_stopping) _wake.Wait(100);
                Interlocked.Decrement(ref _sleepers);
            }
            seen = Volatile.Read(ref _generation);
            ClaimShards();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        foreach (var t in _helpers) t.Join();
        _wake.Dispose();
    }
}
