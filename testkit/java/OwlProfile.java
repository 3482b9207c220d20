// The OWL API's OWL 2 DL profile check (what Protégé and ROBOT's `validate-profile` use) over
// ontology documents, in one JVM:
//
//   java -cp OWLAPI_CLASSPATH:. OwlProfile FILE...
//
// For each file, one line "FILE<TAB>path<TAB>violations<TAB>individuals<TAB>declared individuals<TAB>axioms",
// then one line per violation: "V<TAB>kind<TAB>message" (kind: the violation's class, e.g.
// UseOfUndeclaredClass), and one per triple the parser could not turn into an axiom and dropped:
// "U<TAB>triple". "Declared individuals" are those with an owl:NamedIndividual declaration,
// which is what a reasoner or Protégé lists as the ontology's individuals.
import java.io.File;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class OwlProfile {
    public static void main(String[] args) throws Exception {
        for (String path : args) {
            OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
            OWLOntology o = manager.loadOntologyFromOntologyDocument(new File(path));
            OWLProfileReport report = new OWL2DLProfile().checkOntology(o);
            long declared = o.getAxioms(AxiomType.DECLARATION).stream()
                .filter(d -> d.getEntity().isOWLNamedIndividual()).count();
            System.out.println("FILE\t" + path + "\t" + report.getViolations().size() + "\t"
                + o.getIndividualsInSignature().size() + "\t" + declared + "\t" + o.getAxiomCount());
            for (OWLProfileViolation v : report.getViolations()) {
                System.out.println("V\t" + v.getClass().getSimpleName() + "\t" + v.toString().replace('\n', ' ').replace('\t', ' '));
            }
            manager.getOntologyFormat(o).getOntologyLoaderMetaData().ifPresent(meta -> {
                if (meta instanceof RDFParserMetaData) {
                    ((RDFParserMetaData) meta).getUnparsedTriples().forEach(
                        t -> System.out.println("U\t" + t.toString().replace('\n', ' ').replace('\t', ' ')));
                }
            });
        }
    }
}
