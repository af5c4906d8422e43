// Reference stub of the .NET nanoFramework v1 API surface used by TinyGru's static checks (issue #6).
//
// It declares ONLY types and members documented to exist in nanoFramework v1 (stable), with their
// documented signatures, and nothing else: code that compiles against it uses no API that the
// device lacks (as far as the sources below say). Bodies are `throw null;` — the stub is never run.
// Everything is compiled into ONE assembly named "mscorlib"; on a device the API is split over
// several assemblies (mscorlib, System.Math, System.Device.I2c, nanoFramework.Hardware.Esp32,
// nanoFramework.Runtime.Native / nanoFramework.ResourceManager). That split does not matter for
// what the checks verify (types, members, signatures, IL), only for which packages an app lists.
//
// Sources (read through the project's code search; see docs/nanoframework-checks.md):
//  - nanoframework/CoreLibrary (mscorlib): source/System/Math.cs (int Abs/Min/Max in mscorlib;
//    later moved to MathInternal), System/SpanByte.cs (readonly ref struct SpanByte: ctor(byte[]),
//    ctor(byte[],int,int), indexer, Length, IsEmpty, Empty, Slice, CopyTo, ToArray, implicit byte[]→SpanByte).
//  - nanoframework/CoreLibrary, nanoFramework.CoreLibrary/System/BitConverter.cs (commit 055d164):
//    BitConverter.ToSingle(byte[], int) and ToInt32(byte[], int), InternalCall (float weights read from a resource).
//  - nanoframework/System.Math, nanoFramework.System.Math/Math.cs: PI, E; double-only
//    Acos/Asin/Atan/Atan2/Ceiling/Cos/Cosh/IEEERemainder/Exp/Floor/Log/Log10/Pow/Round/Sign/Sin/Sinh/
//    Sqrt/Tan/Tanh/Truncate (InternalCall); float overloads of those are [Obsolete(error: true)] in
//    that version and absent later, so they are NOT in this stub; float overloads exist for
//    Abs, Min, Max, Sign (and Clamp, per the nanoFramework facts in the project's shared notes).
//  - nanoframework/System.Device.I2c, System.Device.I2c/I2cDevice.cs (SpanByte era),
//    I2cConnectionSettings.cs, I2cTransferResult.cs; package nanoFramework.System.Device.I2c 1.1.9
//    as referenced by nanoframework/nanoFramework.IoT.Device devices/Adxl343/ADXL343Samples.
//  - nanoframework/nf-interpreter, src/nanoFramework.ResourceManager/nf_system_resourcemanager*.cpp:
//    nanoFramework.Runtime.Native.ResourceUtility.GetObject(ResourceManager, Enum) and
//    GetObject(ResourceManager, Enum, int, int) returning object.
//    Slice reads `(byte[])ResourceUtility.GetObject(rm, id, offset, length)` as in public nanoFramework/NETMF code.
//    NOT confirmed from a nanoFramework source: ResourceManager(string, Assembly) and Type.Assembly (the pattern of
//    NETMF/nanoFramework resource designer files, `new ResourceManager("X.Resources", typeof(Resources).Assembly)`).
//  - nanoframework/System.Device.I2c I2cConnectionSettings.cs (version with ctor (busId, address) and
//    (busId, address, I2cBusSpeed), the 2-argument one defaulting to FastMode).
//  - nanoframework/nanoFramework.IoT.Device devices/Adxl343/ADXL343Samples/Program.cs:
//    nanoFramework.Hardware.Esp32.Configuration.SetPinFunction(int, DeviceFunction),
//    DeviceFunction.I2C1_DATA / I2C1_CLOCK, System.Diagnostics.Debug.WriteLine, Thread.Sleep(int).
//
// Deliberately absent because v1 lacks them (facts from nf-interpreter / CoreLibrary): generics
// (Nullable<T>, IEquatable<T>, List<T>, ValueTuple<...>), Span<T>/ReadOnlySpan<T>, System.Decimal,
// IsExternalInit (init accessors, records), Task/async, OverflowException, float Math.Exp/Tanh.

#pragma warning disable CS0626, CS0824, CS0660, CS0661

namespace System
{
    public class Object
    {
        public Object() { }
        public virtual bool Equals(object obj) { throw null; }
        public virtual int GetHashCode() { throw null; }
        public virtual string ToString() { throw null; }
        public Type GetType() { throw null; }
        protected object MemberwiseClone() { throw null; }
        public static bool ReferenceEquals(object objA, object objB) { throw null; }
        ~Object() { }
    }

    public abstract class ValueType { }
    public abstract class Enum : ValueType { }
    public struct Void { }
    public struct Boolean { public override string ToString() { throw null; } }
    public struct Char { public override string ToString() { throw null; } }
    public struct SByte { public override string ToString() { throw null; } }
    public struct Byte { public override string ToString() { throw null; } }
    public struct Int16 { public override string ToString() { throw null; } }
    public struct UInt16 { public override string ToString() { throw null; } }
    public struct Int32
    {
        public const int MaxValue = 2147483647;
        public const int MinValue = -2147483648;
        public override string ToString() { throw null; }
    }
    public struct UInt32 { public override string ToString() { throw null; } }
    public struct Int64 { public override string ToString() { throw null; } }
    public struct UInt64 { public override string ToString() { throw null; } }
    public struct Single
    {
        public const float MaxValue = 3.40282347E+38f;
        public const float MinValue = -3.40282347E+38f;
        public override string ToString() { throw null; }
    }
    public struct Double
    {
        public override string ToString() { throw null; }
    }
    public struct IntPtr { }
    public struct UIntPtr { }

    public sealed class String
    {
        public static readonly string Empty = "";
        public int Length { get { throw null; } }
        [System.Runtime.CompilerServices.IndexerName("Chars")]
        public char this[int index] { get { throw null; } }
        public static string Concat(object arg0) { throw null; }
        public static string Concat(object arg0, object arg1) { throw null; }
        public static string Concat(object arg0, object arg1, object arg2) { throw null; }
        public static string Concat(string str0, string str1) { throw null; }
        public static string Concat(string str0, string str1, string str2) { throw null; }
        public static string Concat(string str0, string str1, string str2, string str3) { throw null; }
        public static string Concat(params string[] values) { throw null; }
        public static bool operator ==(string a, string b) { throw null; }
        public static bool operator !=(string a, string b) { throw null; }
        public static bool Equals(string a, string b) { throw null; }
    }

    public abstract class Array
    {
        public int Length { get { throw null; } }
        public static void Copy(Array sourceArray, Array destinationArray, int length) { throw null; }
        public static void Copy(Array sourceArray, int sourceIndex, Array destinationArray, int destinationIndex, int length) { throw null; }
        public static void Clear(Array array, int index, int length) { throw null; }
    }

    public abstract class Type
    {
        public static Type GetTypeFromHandle(RuntimeTypeHandle handle) { throw null; }
        public abstract System.Reflection.Assembly Assembly { get; }
    }
    public struct RuntimeTypeHandle { }
    public struct RuntimeFieldHandle { }
    public struct RuntimeMethodHandle { }

    public abstract class Delegate { }
    public abstract class MulticastDelegate : Delegate { }

    public interface IDisposable { void Dispose(); }

    public static class GC
    {
        public static void SuppressFinalize(object obj) { throw null; }
    }

    public class Exception
    {
        public Exception() { }
        public Exception(string message) { }
        public Exception(string message, Exception innerException) { }
        public virtual string Message { get { throw null; } }
    }
    public class SystemException : Exception
    {
        public SystemException() { }
        public SystemException(string message) { }
    }
    public class ArgumentException : SystemException
    {
        public ArgumentException() { }
        public ArgumentException(string message) { }
        public ArgumentException(string message, string paramName) { }
    }
    public class ArgumentNullException : ArgumentException
    {
        public ArgumentNullException() { }
        public ArgumentNullException(string paramName) { }
    }
    public class ArgumentOutOfRangeException : ArgumentException
    {
        public ArgumentOutOfRangeException() { }
        public ArgumentOutOfRangeException(string paramName) { }
        public ArgumentOutOfRangeException(string paramName, string message) { }
    }
    public class InvalidOperationException : SystemException
    {
        public InvalidOperationException() { }
        public InvalidOperationException(string message) { }
    }
    public class NotImplementedException : SystemException
    {
        public NotImplementedException() { }
        public NotImplementedException(string message) { }
    }
    public class NotSupportedException : SystemException
    {
        public NotSupportedException() { }
        public NotSupportedException(string message) { }
    }
    public class IndexOutOfRangeException : SystemException { public IndexOutOfRangeException() { } }
    public class NullReferenceException : SystemException { public NullReferenceException() { } }

    public abstract class Attribute { protected Attribute() { } }

    [Flags]
    public enum AttributeTargets
    {
        Assembly = 1, Module = 2, Class = 4, Struct = 8, Enum = 16, Constructor = 32, Method = 64,
        Property = 128, Field = 256, Event = 512, Interface = 1024, Parameter = 2048, Delegate = 4096,
        ReturnValue = 8192, GenericParameter = 16384, All = 32767,
    }

    [AttributeUsage(AttributeTargets.Class, Inherited = true)]
    public sealed class AttributeUsageAttribute : Attribute
    {
        public AttributeUsageAttribute(AttributeTargets validOn) { }
        public bool AllowMultiple { get { throw null; } set { } }
        public bool Inherited { get { throw null; } set { } }
    }
    [AttributeUsage(AttributeTargets.Parameter)]
    public sealed class ParamArrayAttribute : Attribute { public ParamArrayAttribute() { } }
    [AttributeUsage(AttributeTargets.Enum)]
    public class FlagsAttribute : Attribute { public FlagsAttribute() { } }
    [AttributeUsage(AttributeTargets.All)]
    public sealed class ObsoleteAttribute : Attribute
    {
        public ObsoleteAttribute() { }
        public ObsoleteAttribute(string message) { }
        public ObsoleteAttribute(string message, bool error) { }
    }
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum | AttributeTargets.Delegate)]
    public sealed class SerializableAttribute : Attribute { public SerializableAttribute() { } }
    [AttributeUsage(AttributeTargets.All)]
    public sealed class CLSCompliantAttribute : Attribute { public CLSCompliantAttribute(bool isCompliant) { } }

    // CoreLibrary System/SpanByte.cs: the non-generic byte span of nanoFramework v1 (there is no Span<T>).
    public readonly ref struct SpanByte
    {
        public SpanByte(byte[] array) { throw null; }
        public SpanByte(byte[] array, int start, int length) { throw null; }
        public byte this[int index] { get { throw null; } set { } }
        public static SpanByte Empty { get { throw null; } }
        public int Length { get { throw null; } }
        public bool IsEmpty { get { throw null; } }
        public void CopyTo(SpanByte destination) { throw null; }
        public SpanByte Slice(int start) { throw null; }
        public SpanByte Slice(int start, int length) { throw null; }
        public byte[] ToArray() { throw null; }
        public static implicit operator SpanByte(byte[] array) { throw null; }
    }

    // nanoFramework.System.Math (Math.cs) + the int overloads that live in mscorlib.
    public static class BitConverter
    {
        public static float ToSingle(byte[] value, int startIndex) => throw null;
        public static int ToInt32(byte[] value, int startIndex) => throw null;
    }

    public static class Math
    {
        public const double PI = 3.14159265358979323846;
        public const double E = 2.7182818284590452354;

        public static int Abs(int val) { throw null; }
        public static double Abs(double val) { throw null; }
        public static float Abs(float val) { throw null; }
        public static int Max(int val1, int val2) { throw null; }
        public static double Max(double x, double y) { throw null; }
        public static float Max(float x, float y) { throw null; }
        public static int Min(int val1, int val2) { throw null; }
        public static double Min(double x, double y) { throw null; }
        public static float Min(float x, float y) { throw null; }
        public static double Clamp(double value, double min, double max) { throw null; }
        public static float Clamp(float value, float min, float max) { throw null; }
        public static int Sign(double value) { throw null; }
        public static int Sign(float value) { throw null; }

        public static double Acos(double d) { throw null; }
        public static double Asin(double d) { throw null; }
        public static double Atan(double d) { throw null; }
        public static double Atan2(double y, double x) { throw null; }
        public static double Ceiling(double d) { throw null; }
        public static double Cos(double a) { throw null; }
        public static double Cosh(double a) { throw null; }
        public static double IEEERemainder(double x, double y) { throw null; }
        public static double Exp(double d) { throw null; }
        public static double Floor(double d) { throw null; }
        public static double Log(double d) { throw null; }
        public static double Log10(double d) { throw null; }
        public static double Pow(double x, double y) { throw null; }
        public static double Round(double d) { throw null; }
        public static double Sin(double a) { throw null; }
        public static double Sinh(double value) { throw null; }
        public static double Sqrt(double d) { throw null; }
        public static double Tan(double a) { throw null; }
        public static double Tanh(double value) { throw null; }
        public static double Truncate(double d) { throw null; }
    }
}

namespace System.Collections
{
    public interface IEnumerator
    {
        object Current { get; }
        bool MoveNext();
        void Reset();
    }
    public interface IEnumerable { IEnumerator GetEnumerator(); }
}

namespace System.Reflection
{
    public class Assembly { }
}

namespace System.Runtime.CompilerServices
{
    public enum MethodImplOptions { NoInlining = 8, Synchronized = 32, InternalCall = 4096 }

    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor)]
    public sealed class MethodImplAttribute : Attribute
    {
        public MethodImplAttribute(MethodImplOptions methodImplOptions) { }
    }
    [AttributeUsage(AttributeTargets.Property)]
    public sealed class IndexerNameAttribute : Attribute { public IndexerNameAttribute(string indexerName) { } }
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method | AttributeTargets.Assembly)]
    public sealed class ExtensionAttribute : Attribute { public ExtensionAttribute() { } }

    public static class RuntimeHelpers
    {
        // Array initializers of primitive arrays (`new float[] { 1f, 2f }`) compile to this call.
        public static void InitializeArray(Array array, RuntimeFieldHandle fldHandle) { throw null; }
    }
}

namespace System.Diagnostics
{
    public static class Debug
    {
        public static void WriteLine(string message) { throw null; }
        public static void Write(string message) { throw null; }
    }
}

namespace System.Threading
{
    public sealed class Thread
    {
        public static void Sleep(int millisecondsTimeout) { throw null; }
    }
}

namespace System.Resources
{
    // nanoFramework.ResourceManager: resources compiled into the .pe stay in flash.
    public class ResourceManager
    {
        public ResourceManager(string baseName, System.Reflection.Assembly assembly) { throw null; }
    }
}

namespace nanoFramework.Runtime.Native
{
    public static class ResourceUtility
    {
        public static object GetObject(System.Resources.ResourceManager rm, System.Enum id) { throw null; }
        public static object GetObject(System.Resources.ResourceManager rm, System.Enum id, int offset, int length) { throw null; }
    }
}

namespace nanoFramework.Hardware.Esp32
{
    // Member names as used by the ADXL343 sample; the numeric values are not reproduced (not needed to compile).
    public enum DeviceFunction { I2C1_DATA, I2C1_CLOCK, I2C2_DATA, I2C2_CLOCK }
    public static class Configuration
    {
        public static void SetPinFunction(int pin, DeviceFunction function) { throw null; }
    }
}

namespace System.Device.I2c
{
    public enum I2cBusSpeed { StandardMode = 0, FastMode = 1 }
    public enum I2cTransferStatus
    {
        UnknownError = 0, FullTransfer = 1, ClockStretchTimeout = 2, PartialTransfer = 3, SlaveAddressNotAcknowledged = 4,
    }
    public struct I2cTransferResult
    {
        public uint BytesTransferred { get { throw null; } }
        public I2cTransferStatus Status { get { throw null; } }
    }
    public sealed class I2cConnectionSettings
    {
        public I2cConnectionSettings(int busId, int deviceAddress) { throw null; }
        public I2cConnectionSettings(int busId, int deviceAddress, I2cBusSpeed busSpeed) { throw null; }
        public int BusId { get { throw null; } }
        public int DeviceAddress { get { throw null; } }
        public I2cBusSpeed BusSpeed { get { throw null; } }
    }
    public class I2cDevice : IDisposable
    {
        public I2cDevice(I2cConnectionSettings settings) { throw null; }
        public static I2cDevice Create(I2cConnectionSettings settings) { throw null; }
        public I2cConnectionSettings ConnectionSettings { get { throw null; } }
        public byte ReadByte() { throw null; }
        public I2cTransferResult Read(SpanByte buffer) { throw null; }
        public I2cTransferResult WriteByte(byte value) { throw null; }
        public I2cTransferResult Write(SpanByte buffer) { throw null; }
        public I2cTransferResult WriteRead(SpanByte writeBuffer, SpanByte readBuffer) { throw null; }
        public void Dispose() { throw null; }
    }
}
