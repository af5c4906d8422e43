using SharpFuzz;

namespace TinyGru.Fuzz;

/// <summary>afl++ persistent mode: a finding is rethrown so afl records it as a crash.</summary>
internal static class AflMode
{
    public static int Run(FuzzTarget target)
    {
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var outcome = Execution.Run(target, buffer.ToArray());
            if (outcome.IsFinding) throw new FuzzFindingException(outcome.ToString());
        });
        return 0;
    }
}

/// <summary>An input broke the harness' contract (see <see cref="Outcome"/>).</summary>
public sealed class FuzzFindingException(string message) : Exception(message);
