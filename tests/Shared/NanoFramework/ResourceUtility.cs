#nullable disable
// nanoFramework's ResourceUtility for desktop runs of generated nanoFramework code with the Resource placement:
// the chunked read as nf-interpreter implements it (offset ≥ size throws, length is trimmed). Compiled into the
// NativeAOT checks (tests/TinyGru.AotChecks) and, as text, into TinyGru.CodeGen.Tests' in-memory compilations.
namespace nanoFramework.Runtime.Native
{
    public static class ResourceUtility
    {
        /// <summary>The bytes of the one resource the model under test reads.</summary>
        public static byte[] Data;

        /// <summary>How many GetObject calls were made.</summary>
        public static int Reads;

        public static object GetObject(System.Resources.ResourceManager rm, System.Enum id, int offset, int length)
        {
            if (rm == null || id == null) throw new System.ArgumentNullException();
            if (offset >= Data.Length) throw new System.IndexOutOfRangeException();
            if (offset + length >= Data.Length) length = Data.Length - offset;
            var r = new byte[length];
            System.Array.Copy(Data, offset, r, 0, length);
            Reads++;
            return r;
        }
    }
}
