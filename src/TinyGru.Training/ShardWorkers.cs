using System.Runtime.ExceptionServices;

namespace TinyGru.Training;

/// <summary>
/// Runs a fixed number of shards of work, one per core, on threads that live as long as the training run, so a
/// mini-batch costs two event signals rather than a task allocation. The shard count is fixed independently of
/// the core count, so results do not depend on how many cores ran them.
/// </summary>
internal sealed class ShardWorkers : IDisposable
{
    private readonly int _threads;                 // including the caller's
    private readonly Thread[] _helpers;
    private readonly ManualResetEventSlim[] _go;
    private readonly ManualResetEventSlim[] _done;
    private Action<int>? _work;
    private Exception? _error;
    private volatile bool _stopping;

    public ShardWorkers(int shards)
    {
        Shards = shards;
        _threads = Math.Max(1, Math.Min(shards, Environment.ProcessorCount));
        _helpers = new Thread[_threads - 1];
        _go = new ManualResetEventSlim[_helpers.Length];
        _done = new ManualResetEventSlim[_helpers.Length];
        for (int i = 0; i < _helpers.Length; i++)
        {
            _go[i] = new ManualResetEventSlim(false);
            _done[i] = new ManualResetEventSlim(false);
            int worker = i + 1;
            _helpers[i] = new Thread(() => HelperLoop(worker)) { IsBackground = true, Name = "tinygru-shard-" + worker };
            _helpers[i].Start();
        }
    }

    /// <summary>Number of shards each <see cref="Run"/> executes.</summary>
    public int Shards { get; }

    /// <summary>Runs <paramref name="work"/>(shard) for every shard and returns when all are done.</summary>
    public void Run(Action<int> work)
    {
        _work = work;
        for (int i = 0; i < _helpers.Length; i++) _go[i].Set();
        try
        {
            RunShardsOf(0);
        }
        finally
        {
            for (int i = 0; i < _helpers.Length; i++)
            {
                _done[i].Wait();
                _done[i].Reset();
            }
        }
        if (_error is { } error)
        {
            _error = null;
            ExceptionDispatchInfo.Throw(error);
        }
    }

    private void RunShardsOf(int worker)
    {
        for (int shard = worker; shard < Shards; shard += _threads) _work!(shard);
    }

    private void HelperLoop(int worker)
    {
        var go = _go[worker - 1];
        var done = _done[worker - 1];
        while (true)
        {
            go.Wait();
            go.Reset();
            if (_stopping) return;
            try { RunShardsOf(worker); }
            catch (Exception e) { _error = e; }
            done.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var go in _go) go.Set();
        foreach (var t in _helpers) t.Join();
        foreach (var e in _go.Concat(_done)) e.Dispose();
    }
}
