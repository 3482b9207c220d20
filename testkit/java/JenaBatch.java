// Runs Apache Jena command-line tools (riot, shacl validate, rsparql, ...) one after another in one
// JVM, exactly as their command lines would, but without a JVM start (1-2 s) for each.
//
//   java -cp JENA_CLASSPATH:. JenaBatch COMMANDS_FILE
//
// COMMANDS_FILE: one command a line, tab-separated: output prefix, the command's main class
// (riotcmd.riot, shacl.shacl_validate, arq.rsparql), then its arguments. Each command's standard
// output goes to PREFIX.out and its standard error to PREFIX.err; its exit code (what the command
// line would have returned) is printed as "PREFIX<TAB>CODE" on our standard output.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

import org.apache.jena.cmd.CmdMain;

public class JenaBatch {
    public static void main(String[] argv) throws Exception {
        PrintStream out = System.out, err = System.err;
        for (String line : Files.readAllLines(Paths.get(argv[0]), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t", -1);
            String prefix = parts[0];
            String[] args = Arrays.copyOfRange(parts, 2, parts.length);
            int code;
            try (PrintStream o = new PrintStream(new FileOutputStream(prefix + ".out"), true, "UTF-8");
                 PrintStream e = new PrintStream(new FileOutputStream(prefix + ".err"), true, "UTF-8")) {
                System.setOut(o);
                System.setErr(e);
                try {
                    // the commands' constructors are protected: their main() only does new X(argv).mainRun()
                    java.lang.reflect.Constructor<?> make = Class.forName(parts[1]).getDeclaredConstructor(String[].class);
                    make.setAccessible(true);
                    CmdMain cmd = (CmdMain) make.newInstance((Object) args);
                    code = cmd.mainRun(false, false);  // the exit code, without System.exit
                } catch (Throwable t) {
                    (t.getCause() != null ? t.getCause() : t).printStackTrace(e);
                    code = 99;
                } finally {
                    System.out.flush();
                    System.setOut(out);
                    System.setErr(err);
                }
            }
            out.println(prefix + "\t" + code);
            out.flush();
        }
    }
}
